// Every service reads its settings from the environment through this one module, so `npm start`
// (which spawns them) and a service started alone (`npm run svc -- ledger`) agree on defaults.
import path from "node:path";
import { COMMANDS_TOPIC } from "./topics.ts";

export interface AppConfig {
  /** All state: broker logs under broker/, the SQLite files (points.db and the services' beside it). */
  dataDir: string;
  databaseUrl: string;
  /** Bootstrap brokers for the Kafka client. */
  brokers: string[];
  /** The bundled broker's port, when `npm start` runs it. */
  brokerPort: number;
  /** points-api's HTTP port; 0 picks a free one. */
  httpPort: number;
  /**
   * HOST: the address every HTTP listener of the apps binds (points-api, the console, the services'
   * metrics). 127.0.0.1 unless set; anything beyond loopback is logged as a warning when it listens.
   */
  httpHost: string;
  /** Partitions of points.commands and points.events when they are created. */
  partitions: number;
  /** The largest amount one command may carry. */
  maxAmount: number;
  /**
   * How points-api keys commands: by userId (the design), or "none" — only for the ordering lab,
   * to show what breaks when one user's commands spread over partitions.
   */
  commandKey: "userId" | "none";
  /**
   * The topic points-api writes commands to and the ledger reads them from (COMMANDS_TOPIC; default
   * points.commands): after `npm run migrate-topic` both are started again on the new topic.
   */
  commandsTopic?: string;
}

export class ConfigError extends Error {}

/** An integer setting >= min, or undefined when unset (or empty). */
export function optionalIntFrom(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer >= ${min} (got "${raw}")`);
  return value;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  return optionalIntFrom(env, name, min) ?? fallback;
}

function commandKeyFrom(raw: string | undefined): AppConfig["commandKey"] {
  if (raw === undefined || raw === "" || raw === "userId") return "userId";
  if (raw === "none") return "none";
  throw new ConfigError(`POINTS_COMMAND_KEY must be "userId" or "none" (got "${raw}")`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dataDir = path.resolve(env.DATA_DIR || "./data");
  const brokerPort = intFrom(env, "BROKER_PORT", 9092, 0);
  const brokers = (env.KAFKA_BROKERS ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  return {
    dataDir,
    databaseUrl: env.DATABASE_URL || `file:${path.join(dataDir, "points.db")}`,
    brokers: brokers.length > 0 ? brokers : [`127.0.0.1:${brokerPort}`],
    brokerPort,
    httpPort: intFrom(env, "PORT", 3000, 0),
    httpHost: env.HOST || "127.0.0.1",
    partitions: intFrom(env, "POINTS_PARTITIONS", 6, 1),
    maxAmount: intFrom(env, "POINTS_MAX_AMOUNT", 1_000_000, 1),
    commandKey: commandKeyFrom(env.POINTS_COMMAND_KEY),
    commandsTopic: env.COMMANDS_TOPIC || COMMANDS_TOPIC,
  };
}
