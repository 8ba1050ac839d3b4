// The OpenAPI document as points-api serves it: built from the zod schemas the routes validate with.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { get, request } from "./helpers.ts";
import { useSeededPointsApi } from "./reads-fixture.ts";

describe("points-api OpenAPI document", () => {
  const points = useSeededPointsApi();

  it("when the OpenAPI document is asked for, then it is 3.1, lists every route, and its bodies are the zod schemas", async () => {
    const response = await get(points.api.url, "/api/openapi.json");

    assert.equal(response.status, 200);
    const doc = response.body;
    assert.equal(doc.openapi, "3.1.0");
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(routes.sort(), [
      "GET /api/analytics",
      "GET /api/groups",
      "GET /api/ledger/recent",
      "GET /api/openapi.json",
      "GET /api/stores",
      "GET /api/users",
      "GET /api/users/{id}/balance",
      "GET /api/users/{id}/ledger",
      "GET /api/users/{id}/notifications",
      "POST /api/points/charge",
      "POST /api/points/deduct",
      "POST /api/users",
    ]);
    const chargeBody = doc.paths["/api/points/charge"].post.requestBody.content["application/json"].schema;
    assert.equal(chargeBody.additionalProperties, false);
    assert.deepEqual(chargeBody.required, ["userId", "amount", "storeId", "terminalId"]);
    assert.deepEqual(chargeBody.properties.amount, {
      type: "integer",
      exclusiveMinimum: 0,
      maximum: points.config.maxAmount,
      description: "points, a positive integer",
    });
    assert.deepEqual(
      doc.paths["/api/points/charge"].post.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
      ["query:wait", "header:Idempotency-Key"],
    );
    assert.deepEqual(Object.keys(doc.paths["/api/points/charge"].post.responses).sort(), [
      "200",
      "202",
      "400",
      "401",
      "404",
      "409",
      "413",
      "415",
      "503",
    ]);

    // Writes name the terminal key they need, reads none.
    assert.deepEqual(Object.keys(doc.components.securitySchemes), ["terminalKey"]);
    const secured = routes.filter((route) => {
      const [method, path] = route.split(" ") as [string, string];
      return doc.paths[path][method.toLowerCase()].security !== undefined;
    });
    assert.deepEqual(secured, ["POST /api/points/charge", "POST /api/points/deduct", "POST /api/users"]);

    // Every documented route is served (a request to it is not answered with "no route").
    for (const route of routes) {
      const [method, path] = route.split(" ") as [string, string];
      const served = await request(
        points.api.url,
        method,
        path.replace("{id}", "u1"),
        method === "POST" ? { json: {} } : {},
      );
      assert.doesNotMatch(String(served.body?.error?.message ?? ""), /^no route/, route);
    }
  });
});
