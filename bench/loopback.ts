// The loopback limit the client figures in MB/s compare with: a child Node process writes 1 MiB
// buffers as fast as its socket drains to this process over a 127.0.0.1 TCP connection, for about
// `seconds`; this process reads them into one reused buffer (no allocation or copy per read) and
// only counts them. Two processes, as broker and client are, so the figure includes both ends'
// syscalls and kernel copies, and nothing of Kafka.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { type Rate, rate } from "./lib.ts";

const WRITER = `
const server = require("node:net").createServer((socket) => {
  server.close();
  const chunk = Buffer.alloc(1 << 20, 97);
  const deadline = performance.now() + Number(process.argv[1]) * 1000;
  const pump = () => {
    while (performance.now() < deadline) if (!socket.write(chunk)) return socket.once("drain", pump);
    socket.end();
  };
  pump();
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/** Bytes per second one child process pushes through a loopback TCP socket to this one. */
export async function measureLoopback(seconds: number): Promise<Rate> {
  const writer = spawn(process.execPath, ["-e", WRITER, String(seconds)], { stdio: ["ignore", "pipe", "inherit"] });
  const [portLine] = (await once(writer.stdout, "data")) as [Buffer];
  let bytes = 0;
  let firstAt = 0;
  const buffer = Buffer.allocUnsafe(4 << 20);
  const socket = connect({
    port: Number(portLine.toString().trim()),
    host: "127.0.0.1",
    onread: {
      buffer,
      callback: (read: number) => {
        firstAt ||= performance.now();
        bytes += read;
        return true;
      },
    },
  });
  await once(socket, "end");
  const endAt = performance.now();
  socket.destroy();
  await once(writer, "exit");
  // Records here are bytes: recordsPerSec reads as bytes/s.
  return rate(bytes, bytes, (endAt - firstAt) / 1000);
}
