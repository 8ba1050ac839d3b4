// The far end of the paced round-trip floor (round-trip-floor.ts): a TCP server in a process of its
// own that echoes what it receives, except a lone "?", which it answers with its own CPU time so
// far (process.cpuUsage(), µs, as JSON) so that the measure needs no clock-tick rounding. Plain
// JavaScript so that node runs it without a loader. Prints `listening on <port>`; stops on SIGTERM.
import net from "node:net";

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("data", (data) => {
    if (data.length === 1 && data[0] === 0x3f) socket.write(JSON.stringify(process.cpuUsage()));
    else socket.write(data);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
