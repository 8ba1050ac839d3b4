// The floor under a request: the CPU one request/response pair over loopback TCP costs its two
// ends with nothing else done (a 200-byte message echoed back, one at a time, both ends in this
// process, so it is a lower bound: between processes each hop also switches context). The cost
// suite multiplies it by the requests a command takes, to show how much of a command's CPU is the
// round trips themselves.
import net from "node:net";

export async function roundTripFloorUs(roundTrips = 20_000): Promise<number> {
  const server = net.createServer((socket) => socket.on("data", (data) => socket.write(data)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", resolve));
  const message = Buffer.alloc(200, 1);
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
