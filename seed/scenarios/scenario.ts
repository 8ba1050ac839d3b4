// What a scenario is (`npm run scenario -- <name>`): one Kafka concept shown on a fresh system of its
// own, narrated step by step in English or Korean, its outcome checked, exit 0 or 1. Each scenario is
// a module of seed/scenarios/catalog/ exporting one Scenario; the runner (runner.ts) builds the
// system it asks for, hands it a ScenarioContext, and tears the system down whatever happened.

/** A sentence in both languages of the learning path (the study notes behind the demo are Korean). */
export interface Text {
  en: string;
  ko: string;
}

export type Lang = keyof Text;

/** The console views a step can point at (apps/console/public: #cluster, #topics, …). */
export type ConsoleView = "cluster" | "topics" | "groups" | "timeline" | "faults" | "points";

export interface Scenario {
  /** Kebab case, what `npm run scenario -- <name>` takes: "record-anatomy". */
  name: string;
  /** Its place in the learning path (the numbering). */
  number: number;
  title: Text;
  /** The concept in one or two sentences, for the listing and the README's "Learn Kafka" section. */
  concept: Text;
  /** How many brokers its system has: 1 is a lone broker, 3 a KRaft cluster. */
  brokers: number;
  /**
   * Broker settings (Kafka's names) for every broker of its system, over the defaults: a scenario
   * that waits for a session timeout lowers group.min.session.timeout.ms so it runs in seconds.
   */
  // Added by I14-B (rebalance scenarios 8-13); the runner passes each as `--config key=value`.
  brokerConfigs?: Record<string, string>;
  /** Set when it cannot run yet (a mechanism not built): listed as not available, never faked. */
  notAvailable?: Text;
  run(context: ScenarioContext): Promise<void>;
}

export interface ScenarioContext {
  lang: Lang;
  /** A numbered step: what is done now. */
  step(text: Text): void;
  /** What Kafka does, and why, beside a step. */
  explain(text: Text): void;
  /** Where to watch it: the console view's URL when a console runs for this system, else nothing. */
  look(view: ConsoleView, text: Text): void;
  /** Records a check (✓ or ✗ with `detail`); a failed check ends the scenario with exit code 1. */
  check(ok: boolean, what: Text, detail?: string): void;
  system: ScenarioSystem;
}

/** The fresh system a scenario runs on: its brokers (own processes, free ports, a temp data dir). */
export interface ScenarioSystem {
  /** host:port of every broker, by node id. */
  bootstrap: string[];
  /** The temp directory everything of this run lives in (removed afterwards). */
  dataDir: string;
  /** Each broker's admin listener (broker/server/admin), by node id. */
  adminUrls: string[];
  /** SIGKILL broker `id` (not restarted until restartBroker). */
  killBroker(id: number): Promise<void>;
  restartBroker(id: number): Promise<void>;
  /** SIGSTOP / SIGCONT broker `id`. */
  pauseBroker(id: number): void;
  resumeBroker(id: number): void;
  /**
   * Starts a demo service (apps/<name>/main.ts: ledger, notification, analytics, points-api) on this
   * system with a migrated SQLite file of its own, `env` over the defaults; resolves with its label
   * once it is ready (points-api: its URL is `serviceUrl(label)`).
   */
  startService(name: string, env?: Record<string, string>): Promise<string>;
  serviceUrl(label: string): string | undefined;
  /** SIGTERM (a clean stop) or SIGKILL (a crash); not restarted. */
  stopService(label: string, signal?: NodeJS.Signals): Promise<void>;
  /** The SQLite file's URL the services of this system share (seeded users when asked for). */
  databaseUrl: string;
}
