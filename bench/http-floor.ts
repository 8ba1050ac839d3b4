// The CPU a bare HTTP server spends per request at a fixed rate, driven exactly as the cost suite
// drives points-api (the same driver, concurrency, bodies and headers): the floor under
// points-api's share of a command, measured in the same run. At a low rate each request wakes the
// server alone, so the floor per request rises as the rate falls, as points-api's does.
//
// Ownership: httpFloorUsPerRequest owns the server process it starts, and stops it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { processCpuTicks } from "../seed/fault/processes.ts";
import { driveHttp } from "../seed/load/drivers.ts";
import type { IssuedCommand } from "../seed/load/workload.ts";
import { sleep } from "./lib.ts";

const SERVER = fileURLToPath(new URL("./http-floor-server.mjs", import.meta.url));

export interface HttpFloorWindow {
  rate: number;
  warmupSeconds: number;
  windowSeconds: number;
}

/** CPU µs per request of a bare node:http server (its process's utime+stime over the window). */
export async function httpFloorUsPerRequest(
  window: HttpFloorWindow,
  commands: IssuedCommand[],
  options: { concurrency: number; terminalKeys: Record<string, string>; ticksPerSecond: number },
): Promise<number> {
  // NODE_OPTIONS left out: a profiling preload set for the pipeline must not load in the floor.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const server = spawn(process.execPath, [SERVER], { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      server.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const match = /^listening on (\S+)/m.exec(output);
        if (match) resolve(match[1]!);
      });
      server.once("exit", (code) => reject(new Error(`the HTTP floor server exited (${code}) before listening`)));
    });
    const until = new AbortController();
    let accepted = 0;
    const driving = driveHttp(url, commands, {
      rate: window.rate,
      concurrency: options.concurrency,
      until: until.signal,
      terminalKeys: options.terminalKeys,
      onProgress: (n) => (accepted = n),
    });
    let failure: Error | undefined;
    driving.catch((error: Error) => (failure = error));
    await sleep(window.warmupSeconds * 1000);
    const ticks = () => {
      const value = processCpuTicks(server.pid!);
      if (value === null) throw new Error("the HTTP floor server is gone");
      return value;
    };
    const before = { accepted, ticks: ticks() };
    await sleep(window.windowSeconds * 1000);
    const after = { accepted, ticks: ticks() };
    until.abort();
    await driving.catch(() => []);
    if (failure) throw failure;
    const requests = after.accepted - before.accepted;
    if (requests === 0) throw new Error("the HTTP floor server answered nothing in its window");
    return ((after.ticks - before.ticks) / options.ticksPerSecond / requests) * 1e6;
  } finally {
    if (server.exitCode === null) {
      server.kill("SIGTERM");
      await once(server, "exit");
    }
  }
}
