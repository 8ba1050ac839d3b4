// Runs one scenario (`npm run scenario -- <name>`, and each scenario's test): builds the fresh
// system it asks for — its brokers as processes of a Supervisor of its own, on free ports, in a
// temp data dir, with a migrated SQLite file for the demo services it starts — narrates its steps
// in the chosen language, counts its checks, and tears the system down whatever happened.
//
// Ownership: one run owns its Supervisor (brokers and services), its console (with --console), its
// temp directory and its counts of checks; nothing outlives runScenario.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { replicatedTopicDefaults, startBrokerCluster } from "../../apps/broker-cluster.ts";
import { type RunningConsole, startConsole } from "../../apps/console/server.ts";
import { serviceReadyLine, serviceScript } from "../../apps/services.ts";
import { migrateServiceDatabases } from "../../apps/shared/db/service-databases.ts";
import { Supervisor } from "../../apps/supervisor.ts";
import type { ConsoleView, Lang, Scenario, ScenarioContext, ScenarioSystem, Text } from "./scenario.ts";

export interface RunOptions {
  lang?: Lang;
  /** Where the narration goes, one line per call (default: stdout). */
  output?(line: string): void;
  /** Start the console for this system, so look() prints its URL. */
  console?: boolean;
  /** Pass the brokers' and services' own output through too (for debugging a scenario). */
  verbose?: boolean;
}

export interface ScenarioResult {
  ok: boolean;
  checks: number;
  failed: number;
  /** What ended the scenario early: a failed check's text, or an error's message. */
  stoppedBy?: string;
}

/** Thrown by a failed check: it ends the scenario (the runner reports it, not as an error). */
class FailedCheck extends Error {}

/** The topics' defaults on every scenario broker: few partitions, unless a scenario creates its own. */
const brokerDefaults = { "num.partitions": "3" };

/** How long a stop of the whole system may take per process before SIGKILL. */
const stopGraceMs = 5_000;

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const lang = options.lang ?? "en";
  const out = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = Date.now();
  let checks = 0;
  let failed = 0;
  let steps = 0;
  let stoppedBy: string | undefined;

  out(`== ${scenario.number}. ${scenario.name}: ${scenario.title[lang]}`);
  out(scenario.concept[lang]);
  if (scenario.notAvailable) {
    out(`${lang === "ko" ? "아직 실행할 수 없습니다" : "not available yet"}: ${scenario.notAvailable[lang]}`);
    return { ok: false, checks: 0, failed: 0, stoppedBy: scenario.notAvailable[lang] };
  }

  const dataDir = mkdtempSync(path.join(tmpdir(), `scenario-${scenario.name}-`));
  const supervisor = new Supervisor(options.verbose ? out : () => {});
  let consoleApp: RunningConsole | undefined;
  try {
    out(
      lang === "ko"
        ? `(브로커 ${scenario.brokers}대를 새로 띄우는 중…)`
        : `(starting ${scenario.brokers === 1 ? "a fresh broker" : `a fresh cluster of ${scenario.brokers} brokers`}…)`,
    );
    const system = await startSystem(
      supervisor,
      scenario.brokers,
      dataDir,
      options.verbose === true,
      scenario.brokerConfigs,
    );
    if (options.console) {
      consoleApp = await startConsole({
        host: "127.0.0.1",
        port: 0,
        token: "scenario",
        brokers: system.brokers,
        bootstrap: system.bootstrap,
        pointsApi: "",
        databaseUrl: system.databaseUrl,
        commandKey: "userId",
        processes: supervisor,
      });
      out(`console: ${consoleApp.url}/`);
    }
    const consoleUrl = consoleApp?.url;
    const context: ScenarioContext = {
      lang,
      system,
      step(text: Text) {
        steps += 1;
        out("");
        out(`${steps}. ${text[lang]}`);
      },
      explain(text: Text) {
        out(`   ${text[lang]}`);
      },
      look(view: ConsoleView, text: Text) {
        out(consoleUrl ? `   → ${consoleUrl}/#${view}  ${text[lang]}` : `   → (${view}) ${text[lang]}`);
      },
      check(ok: boolean, what: Text, detail?: string) {
        checks += 1;
        out(`   ${ok ? "✓" : "✗"} ${what[lang]}${detail ? ` — ${detail}` : ""}`);
        if (!ok) {
          failed += 1;
          throw new FailedCheck(what[lang]);
        }
      },
    };
    await scenario.run(context);
  } catch (error) {
    if (error instanceof FailedCheck) stoppedBy = error.message;
    else {
      failed += 1;
      stoppedBy = error instanceof Error ? error.message : String(error);
      out(`   ✗ ${lang === "ko" ? "시나리오가 중단되었습니다" : "the scenario stopped"}: ${stoppedBy}`);
    }
  } finally {
    await consoleApp?.close().catch(() => undefined);
    await supervisor.stopAll(stopGraceMs);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const ok = failed === 0 && checks > 0;
  if (failed === 0 && checks === 0) stoppedBy = "no check was made";
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  out("");
  out(
    lang === "ko"
      ? `${ok ? "성공" : "실패"}: 확인 ${checks}개 중 ${failed}개 실패 (${seconds}초)`
      : `${ok ? "ok" : "FAILED"}: ${checks} checks, ${failed} failed (${seconds} s)`,
  );
  return { ok, checks, failed, ...(stoppedBy === undefined ? {} : { stoppedBy }) };
}

interface StartedSystem extends ScenarioSystem {
  brokers: Awaited<ReturnType<typeof startBrokerCluster>>["brokers"];
}

async function startSystem(
  supervisor: Supervisor,
  brokerCount: number,
  dataDir: string,
  verbose: boolean,
  brokerConfigs: Record<string, string> = {},
): Promise<StartedSystem> {
  const databaseUrl = `file:${path.join(dataDir, "points.db")}`;
  migrateServiceDatabases(databaseUrl);
  const cluster = await startBrokerCluster(supervisor, {
    brokers: brokerCount,
    dataDir: path.join(dataDir, "cluster"),
    host: "127.0.0.1",
    basePort: 0,
    adminBasePort: 0,
    configs: { ...brokerDefaults, ...(brokerCount > 1 ? replicatedTopicDefaults(brokerCount) : {}), ...brokerConfigs },
    restart: false,
    show: () => verbose,
  });
  const serviceUrls = new Map<string, string>();
  const labelOf = (id: number): string => {
    const broker = cluster.brokers[id];
    if (!broker) throw new Error(`no broker ${id} in a system of ${brokerCount}`);
    return broker.label;
  };
  const serviceEnv = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: cluster.bootstrap.join(","),
    PORT: "0",
  };
  return {
    brokers: cluster.brokers,
    bootstrap: cluster.bootstrap,
    dataDir,
    databaseUrl,
    adminUrls: cluster.brokers.map((broker) => broker.admin ?? ""),
    async killBroker(id) {
      await supervisor.stop(labelOf(id), "SIGKILL");
    },
    async restartBroker(id) {
      await supervisor.startAgain(labelOf(id));
    },
    pauseBroker(id) {
      supervisor.signal(labelOf(id), "SIGSTOP");
    },
    resumeBroker(id) {
      supervisor.signal(labelOf(id), "SIGCONT");
    },
    async startService(name, env = {}) {
      const taken = new Set(supervisor.children().map((child) => child.label));
      let label = name;
      for (let n = 2; taken.has(label); n++) label = `${name}#${n}`;
      const match = await supervisor.start({
        label,
        script: serviceScript(name),
        env: { ...serviceEnv, ...env },
        readyLine: serviceReadyLine,
        show: () => verbose,
        restart: false,
      });
      if (match[1]) serviceUrls.set(label, match[1]);
      return label;
    },
    serviceUrl: (label) => serviceUrls.get(label),
    async stopService(label, signal = "SIGTERM") {
      await supervisor.stop(label, signal, stopGraceMs);
    },
  };
}
