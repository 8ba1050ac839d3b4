// How many client connections the broker holds, overall and per client address: Kafka's
// max.connections and max.connections.per.ip (with max.connections.per.ip.overrides). A connection
// over either limit is closed as soon as it is accepted, as Kafka closes one over its per-IP limit;
// Kafka's acceptor instead stops accepting at max.connections, which Node's server cannot do
// without closing its port, and closing costs a client one retry with backoff either way.
//
// Ownership: one ConnectionQuotas per listener, counted up on accept and down on close, both on
// the event loop.

export interface ConnectionQuotaLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Per-address limits that replace maxConnectionsPerIp (max.connections.per.ip.overrides). */
  perIpOverrides: ReadonlyMap<string, number>;
}

export type ConnectionLimitName = "max.connections" | "max.connections.per.ip";

export type Admission = { admitted: true } | { admitted: false; limit: ConnectionLimitName; reason: string };

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly limits: ConnectionQuotaLimits) {}

  get connections(): number {
    return this.total;
  }

  /** Counts a new connection from `ip` in, or says which limit refuses it (and counts nothing). */
  admit(ip: string): Admission {
    const fromIp = this.perIp.get(ip) ?? 0;
    const ipLimit = this.limits.perIpOverrides.get(ip) ?? this.limits.maxConnectionsPerIp;
    if (fromIp >= ipLimit)
      return {
        admitted: false,
        limit: "max.connections.per.ip",
        reason: `${ip} already has ${fromIp} connections, its limit`,
      };
    if (this.total >= this.limits.maxConnections)
      return { admitted: false, limit: "max.connections", reason: `the broker already has ${this.total} connections` };
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return { admitted: true };
  }

  /** Counts a closed connection that was admitted out again. */
  release(ip: string): void {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, fromIp - 1);
    this.total = Math.max(0, this.total - 1);
  }
}

/**
 * Parses max.connections.per.ip.overrides: "host:count" pairs separated by commas, as Kafka writes
 * them ("127.0.0.1:200,10.0.0.7:5"); an IPv6 address keeps its colons, the count is after the last.
 */
export function parsePerIpOverrides(value: string): Map<string, number> {
  const overrides = new Map<string, number>();
  for (const entry of value.split(",")) {
    const trimmed = entry.trim();
    if (trimmed === "") continue;
    const colon = trimmed.lastIndexOf(":");
    const count = Number(trimmed.slice(colon + 1));
    if (colon <= 0 || !/^\d+$/.test(trimmed.slice(colon + 1)) || !Number.isSafeInteger(count))
      throw new Error(`max.connections.per.ip.overrides takes host:count pairs, got "${trimmed}"`);
    overrides.set(trimmed.slice(0, colon), count);
  }
  return overrides;
}
