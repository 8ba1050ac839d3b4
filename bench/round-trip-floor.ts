// The floor under a request: the CPU one request/response pair over loopback TCP costs its two
// ends with nothing else done (a 200-byte message echoed back, one at a time). roundTripFloorUs has
// both ends in this process, back to back, so neither ever sleeps: the lower bound when requests
// queue. pacedRoundTripFloorUs puts the echoing end in a process of its own and sends one message
// per tick of a fixed rate, so both ends sleep in epoll between round trips and are woken for each,
// as every process of the pipeline is at a low rate. The cost suite multiplies them by the requests
// a command takes, to show how much of a command's CPU is the round trips themselves.
//
// Ownership: pacedRoundTripFloorUs owns the echo process it starts, and stops it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { sleep } from "./lib.ts";

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

/**
 * CPU µs of one round trip whose two ends, in two processes, sleep between round trips: one 200-byte
 * message sent per millisecond (node's finest timer, so 1,000 round trips/s), echoed by
 * bench/echo-server.mjs. The sender's timer ticks alone are measured first, over as long a window,
 * and taken off.
 */
export async function pacedRoundTripFloorUs(seconds = 5): Promise<number> {
  const { NODE_OPTIONS: _, ...env } = process.env;
  const echo = spawn(process.execPath, [ECHO_SERVER], { env, stdio: ["ignore", "pipe", "inherit"] });
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
    /** The echo process's CPU so far; asked only with no message in flight. */
    const farCpuUs = async () => {
      const reply = new Promise<Buffer>((resolve) => (onAnswer = resolve));
      client.write("?");
      const { user, system } = JSON.parse((await reply).toString("utf8")) as NodeJS.CpuUsage;
      return user + system;
    };
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
    const farBefore = await farCpuUs();
    let inFlight = false;
    let roundTrips = 0;
    let landed = () => {};
    onAnswer = () => {
      inFlight = false;
      roundTrips++;
      landed();
    };
    const sending = await paced(() => {
      if (inFlight) return;
      inFlight = true;
      client.write(MESSAGE);
    });
    if (inFlight) await new Promise<void>((resolve) => (landed = resolve));
    const farUs = (await farCpuUs()) - farBefore;
    client.destroy();
    if (roundTrips === 0) throw new Error("no round trip completed");
    const senderUs = sending.cpuUs - (timerOnly.cpuUs / Math.max(1, timerOnly.ticks)) * sending.ticks;
    return (senderUs + farUs) / roundTrips;
  } finally {
    if (echo.exitCode === null) {
      echo.kill("SIGTERM");
      await once(echo, "exit");
    }
  }
}
