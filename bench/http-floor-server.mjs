// The floor under points-api: a bare node:http server that does what any JSON API must (read the
// body, parse it, answer 202 with a small JSON body) and nothing else: no framework, validation,
// authentication or Kafka. Plain JavaScript so that node runs it without a loader. Prints its
// address as `listening on http://127.0.0.1:<port>`; stops on SIGTERM.
import http from "node:http";

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    let status = 202;
    let body;
    try {
      const command = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      body = JSON.stringify({
        commandId: request.headers["idempotency-key"],
        userId: command.userId,
        status: "accepted",
      });
    } catch {
      status = 400;
      body = JSON.stringify({ error: "body is not JSON" });
    }
    response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
