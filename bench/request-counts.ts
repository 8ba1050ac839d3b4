// How many requests of each API a broker answered, read from its admin listener's /metrics
// (kafka_network_requestmetrics_requests_total, by API): the cost suite divides the difference over
// a window by the commands in it, which says how many round trips a command takes through the
// pipeline at each rate, the count that CPU per command follows when nothing batches.
const REQUESTS = /^kafka_network_requestmetrics_requests_total\{request="([^"]+)"\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/;

export type RequestCounts = Record<string, number>;

export async function readRequestCounts(adminUrl: string): Promise<RequestCounts> {
  const response = await fetch(`${adminUrl}/metrics`);
  if (!response.ok) throw new Error(`${adminUrl}/metrics answered HTTP ${response.status}`);
  const counts: RequestCounts = {};
  for (const line of (await response.text()).split("\n")) {
    const match = REQUESTS.exec(line);
    if (match) counts[match[1]!] = Number(match[2]);
  }
  return counts;
}

/** Requests per command by API over a window, the APIs with none left out, largest first. */
export function requestsPerCommand(before: RequestCounts, after: RequestCounts, commands: number): RequestCounts {
  const rows = Object.keys(after)
    .map((api) => [api, (after[api]! - (before[api] ?? 0)) / commands] as const)
    .filter(([, perCommand]) => perCommand > 0)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(rows.map(([api, perCommand]) => [api, Math.round(perCommand * 100) / 100]));
}
