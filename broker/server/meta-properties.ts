// Which cluster and node a data directory belongs to (Kafka's meta.properties, written there once by
// `kafka-storage format`): a broker refuses to start on a directory of another node id or another
// cluster, so a mistyped --data-dir cannot mix two brokers' logs. Without a file the directory is
// new and the file is written: the cluster id is `cluster.id` when given; else, for a cluster named
// by its voters, one derived from the voter list (every node of one cluster computes the same id
// without talking to the others); else (a lone broker) a random one, or the id an older version of
// this broker kept in cluster-metadata.json.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomically } from "../storage/checkpoint-file.ts";
import { type FileSystem, nodeFileSystem } from "../storage/file-system.ts";
import { ConfigError } from "./config.ts";
import { readLegacyMetadata } from "./metadata/legacy-bootstrap.ts";

export const META_PROPERTIES_FILE = "meta.properties";

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
}

/** A Kafka-shaped cluster id (22 characters of base64url, 16 bytes) from the voter list. */
export function clusterIdForVoters(voters: string): string {
  const normalized = voters
    .split(",")
    .map((v) => v.trim())
    .sort()
    .join(",");
  return createHash("sha256").update(normalized).digest().subarray(0, 16).toString("base64url");
}

function parse(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0) entries.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  return entries;
}

export interface MetaPropertiesWanted {
  dataDir: string;
  nodeId: number;
  /** `cluster.id` as configured, or "" */
  clusterId: string;
  /** `controller.quorum.voters` as configured, or "" for a lone broker */
  voters: string;
}

/** Reads the data directory's meta.properties, checking it against the wanted ids, or writes a new one. */
export function loadMetaProperties(wanted: MetaPropertiesWanted, fs: FileSystem = nodeFileSystem): MetaProperties {
  const file = join(wanted.dataDir, META_PROPERTIES_FILE);
  if (existsSync(file)) {
    const entries = parse(readFileSync(file, "utf8"));
    const clusterId = entries.get("cluster.id") ?? "";
    const nodeId = Number(entries.get("node.id"));
    if (nodeId !== wanted.nodeId)
      throw new ConfigError(`${wanted.dataDir} belongs to node ${entries.get("node.id")}, not node ${wanted.nodeId}`);
    if (wanted.clusterId !== "" && wanted.clusterId !== clusterId)
      throw new ConfigError(`${wanted.dataDir} belongs to cluster ${clusterId}, not cluster ${wanted.clusterId}`);
    return { clusterId, nodeId };
  }
  const clusterId =
    wanted.clusterId ||
    (wanted.voters.trim() !== ""
      ? clusterIdForVoters(wanted.voters)
      : (readLegacyMetadata(wanted.dataDir)?.clusterId ?? randomBytes(16).toString("base64url")));
  mkdirSync(wanted.dataDir, { recursive: true });
  const text = `#\n# Written by the broker when ${wanted.dataDir} was first used.\ncluster.id=${clusterId}\nnode.id=${wanted.nodeId}\nversion=1\n`;
  writeFileAtomically(fs, file, Buffer.from(text), { sync: true });
  return { clusterId, nodeId: wanted.nodeId };
}
