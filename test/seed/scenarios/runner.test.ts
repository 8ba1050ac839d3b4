import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { runScenario } from "../../../seed/scenarios/runner.ts";
import type { Scenario, ScenarioContext } from "../../../seed/scenarios/scenario.ts";
import { Clients } from "../../../seed/scenarios/toolkit.ts";
import { runNarrated, runScenarioTest } from "../../helpers/scenario.ts";

const text = (en: string, ko = en) => ({ en, ko });

function fake(run: (context: ScenarioContext) => Promise<void>, extra: Partial<Scenario> = {}): Scenario {
  return {
    name: "fake",
    number: 99,
    title: text("A fake scenario", "가짜 시나리오"),
    concept: text("Only for the runner's test."),
    brokers: 1,
    run,
    ...extra,
  };
}

describe("scenario runner", () => {
  it("when a scenario's checks hold on its fresh broker, then it is ok, narrated in the language asked, and its data dir is gone", async () => {
    let dataDir = "";
    const result = await runScenarioTest(
      fake(async (context) => {
        dataDir = context.system.dataDir;
        context.step(text("Create a topic", "토픽을 만듭니다"));
        context.explain(text("explained", "설명"));
        context.look("topics", text("see the topic", "토픽을 보세요"));
        const clients = new Clients(context.system);
        try {
          await clients.createTopic("fake.topic", 2);
          const admin = await clients.admin();
          const topics = await admin.listTopics();
          context.check(topics.includes("fake.topic"), text("the topic exists", "토픽이 있습니다"));
        } finally {
          await clients.closeAll();
        }
        context.check(
          existsSync(context.system.databaseUrl.slice("file:".length)),
          text("the SQLite file is migrated"),
        );
      }),
      { lang: "ko" },
    );
    assert.equal(result.checks, 2);
    assert.ok(result.narration.includes("1. 토픽을 만듭니다"), result.narration.join("\n"));
    assert.ok(result.narration.some((line) => line.includes("✓ 토픽이 있습니다")));
    assert.ok(result.narration.some((line) => line.includes("(topics) 토픽을 보세요")));
    assert.ok(result.narration.at(-1)?.startsWith("성공"));
    assert.equal(existsSync(dataDir), false);
  });

  it("when run with the console, then look() points at the view's URL, served while the scenario runs and closed after", async () => {
    const narration: string[] = [];
    let url: string | undefined;
    const result = await runScenario(
      fake(async (context) => {
        context.look("groups", text("the groups"));
        url = /(http:\/\/127\.0\.0\.1:\d+)\/#groups {2}the groups$/.exec(narration.at(-1) ?? "")?.[1];
        const page = url === undefined ? undefined : await fetch(`${url}/`);
        context.check(page?.status === 200, text("the console serves its page"), narration.at(-1));
      }),
      { console: true, output: (line) => narration.push(line) },
    );
    assert.ok(result.ok, narration.join("\n"));
    await assert.rejects(fetch(`${url}/`));
  });

  it("when a check fails, then the scenario ends there, not ok, with the failed check counted", async () => {
    let after = false;
    const result = await runNarrated(
      fake(async (context) => {
        context.check(true, text("first"));
        context.check(false, text("second"), "it was 3");
        after = true;
      }),
    );
    assert.deepEqual([result.ok, result.checks, result.failed, after], [false, 2, 1, false]);
    assert.equal(result.stoppedBy, "second");
    assert.ok(result.narration.includes("   ✗ second — it was 3"), result.narration.join("\n"));
    assert.ok(result.narration.at(-1)?.startsWith("FAILED"));
  });

  it("when a scenario throws, then it is not ok and the error is narrated; when it checks nothing, then it is not ok either", async () => {
    const thrown = await runNarrated(
      fake(async () => {
        throw new Error("the broker went away");
      }),
    );
    assert.deepEqual([thrown.ok, thrown.failed], [false, 1]);
    assert.ok(thrown.narration.some((line) => line.includes("the scenario stopped: the broker went away")));

    const empty = await runNarrated(fake(async () => {}));
    assert.deepEqual([empty.ok, empty.checks], [false, 0]);
  });

  it("when a scenario is not available yet, then it is not run and says why", async () => {
    let ran = false;
    const result = await runNarrated(
      fake(
        async () => {
          ran = true;
        },
        { notAvailable: text("needs KIP-999") },
      ),
    );
    assert.deepEqual([result.ok, ran], [false, false]);
    assert.ok(result.narration.includes("not available yet: needs KIP-999"));
  });
});
