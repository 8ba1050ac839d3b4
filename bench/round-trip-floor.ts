// The floor under a request: the CPU one request/response pair over loopback TCP costs its two
// ends with nothing else done (a 200-byte message echoed back, one at a time). roundTripFloorUs has
// both ends in this process, back to back, so neither ever sleeps: the lower bound when requests
// queue. pacedRoundTripFloorUs puts the echoing end in a process of its own and sends one message
// per tick of a fixed rate, so both ends sleep in epoll between round trips and are woken for each,
// as every process of the pipeline is at a low rate. The cost suite multiplies them by the requests
// a command takes, to show how much of a command's CPU is the round trips themselves.
// pacedRoundTripLatencyMs times such round trips instead, at the latency suite's pace: the least
// a message between two processes waits here.
//
// Ownership: each paced measure owns the echo process it starts, and stops it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { forEachTick, sleep } from "./lib.ts";

const ECHO_SERVER = fileURLToPath(new URL("./echo-server.mjs", import.meta.url));
const MESSAGE = Buffer.alloc(200, 1);

export async function roundTripFloorUs(roundTrips = 20_000): Promise<number> {
  const server = net.createServer((socket) => socket.on("data", (data) => socket.write(data)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", resolve));
  const message = MESSAGE;
  try {
    return await new Promise<number>((resolve) => {
      let done = 0;
      const start = process.cpuUsage();
      client.on("data", () => {
        if (++done < roundTrips) {
          client.write(message);
          return;
        }
        const used = process.cpuUsage(start);
        resolve((used.user + used.system) / roundTrips);
      });
      client.write(message);
    });
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** bench/echo-server.mjs in a process of its own, and a connection to it (no Nagle delay). */
interface EchoProcess {
  /** Writes `message`; resolves with the echo's first chunk (the messages here fit one). */
  send(message: Buffer | string): Promise<Buffer>;
  /** The echo process's CPU so far (µs); asked only with no message in flight. */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

async function startEchoProcess(): Promise<EchoProcess> {
  const { NODE_OPTIONS: _, ...env } = process.env;
  const echo = spawn(process.execPath, [ECHO_SERVER], { env, stdio: ["ignore", "pipe", "inherit"] });
  const stop = async () => {
    if (echo.exitCode !== null) return;
    echo.kill("SIGTERM");
    await once(echo, "exit");
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = "";
      echo.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const match = /^listening on (\d+)/m.exec(output);
        if (match) resolve(Number(match[1]));
      });
      echo.once("exit", (code) => reject(new Error(`the echo server exited (${code}) before listening`)));
    });
    const client = net.connect(port, "127.0.0.1");
    client.setNoDelay(true);
    await once(client, "connect");
    let onAnswer: (data: Buffer) => void = () => {};
    client.on("data", (data: Buffer) => onAnswer(data));
    const send = (message: Buffer | string) =>
      new Promise<Buffer>((resolve) => {
        onAnswer = resolve;
        client.write(message);
      });
    return {
      send,
      async cpuUs() {
        const { user, system } = JSON.parse((await send("?")).toString("utf8")) as NodeJS.CpuUsage;
        return user + system;
      },
      async stop() {
        client.destroy();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * CPU µs of one round trip whose two ends, in two processes, sleep between round trips: one 200-byte
 * message sent per millisecond (node's finest timer, so 1,000 round trips/s), echoed by
 * bench/echo-server.mjs. The sender's timer ticks alone are measured first, over as long a window,
 * and taken off.
 */
export async function pacedRoundTripFloorUs(seconds = 5): Promise<number> {
  const echo = await startEchoProcess();
  try {
    const ownCpuUs = () => {
      const { user, system } = process.cpuUsage();
      return user + system;
    };
    /** This process's CPU over a window of 1 ms ticks, each tick calling `tick`; the ticks counted. */
    const paced = async (tick: () => void) => {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks++;
        tick();
      }, 1);
      const before = { ticks, cpuUs: ownCpuUs() };
      await sleep(seconds * 1000);
      const after = { ticks, cpuUs: ownCpuUs() };
      clearInterval(timer);
      return { ticks: after.ticks - before.ticks, cpuUs: after.cpuUs - before.cpuUs };
    };

    const timerOnly = await paced(() => {});
    const farBefore = await echo.cpuUs();
    let inFlight: Promise<unknown> | null = null;
    let roundTrips = 0;
    const sending = await paced(() => {
      if (inFlight) return;
      inFlight = echo.send(MESSAGE).then(() => {
        inFlight = null;
        roundTrips++;
      });
    });
    await inFlight;
    const farUs = (await echo.cpuUs()) - farBefore;
    if (roundTrips === 0) throw new Error("no round trip completed");
    const senderUs = sending.cpuUs - (timerOnly.cpuUs / Math.max(1, timerOnly.ticks)) * sending.ticks;
    return (senderUs + farUs) / roundTrips;
  } finally {
    await echo.stop();
  }
}

/**
 * The wall time of one round trip whose two ends sleep between round trips: a `bytes`-byte message
 * to bench/echo-server.mjs every `tickMs`, as the latency suite's producer sends, each timed from
 * its write to its echo (ms). No Kafka, no client library: the least a message crossing two
 * processes here waits, each of its hops waking a process.
 */
export async function pacedRoundTripLatencyMs({
  tickMs,
  seconds,
  bytes = 100,
}: {
  tickMs: number;
  seconds: number;
  bytes?: number;
}): Promise<number[]> {
  const echo = await startEchoProcess();
  try {
    const message = Buffer.alloc(bytes, 1);
    const times: number[] = [];
    await forEachTick(tickMs, seconds, async () => {
      const sentAt = performance.now();
      await echo.send(message);
      times.push(performance.now() - sentAt);
    });
    return times;
  } finally {
    await echo.stop();
  }
}
