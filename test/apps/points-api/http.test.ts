import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import { createAppServer } from "../../../apps/points-api/http.ts";

describe("createAppServer", () => {
  it("when it serves an express app, then requests and responses are born with the app's prototypes and express works on them as usual", async () => {
    const app = express();
    app.use(express.json());
    app.post("/echo", (req, res) => {
      res
        .status(201)
        .set("x-seen", req.get("x-test") ?? "")
        .json({ body: req.body, query: req.query });
    });
    app.get("/text", (_req, res) => {
      res.send("hello");
    });
    const server = createAppServer(app);
    const born: Array<[boolean, boolean]> = [];
    // Runs before express: what node's HTTP code built, not what express made of it.
    server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
      born.push([Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response]);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const posted = await fetch(`${url}/echo?wait=5`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-test": "yes" },
        body: JSON.stringify({ a: 1 }),
      });
      assert.equal(posted.status, 201);
      assert.equal(posted.headers.get("x-seen"), "yes");
      assert.deepEqual(await posted.json(), { body: { a: 1 }, query: { wait: "5" } });

      const head = await fetch(`${url}/text`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), "5");
      assert.equal(await head.text(), "");

      const missing = await fetch(`${url}/nothing`);
      assert.equal(missing.status, 404);
      await missing.arrayBuffer();

      assert.deepEqual(born, [
        [true, true],
        [true, true],
        [true, true],
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
