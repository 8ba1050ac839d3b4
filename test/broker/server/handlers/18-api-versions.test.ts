import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { API_LIST, Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodeRequestHeader } from "../../../../broker/protocol/headers.ts";
import { Reader, Writer } from "../../../../broker/protocol/primitives.ts";
import { decode } from "../../../../broker/protocol/schema.ts";
import { apiVersionsAnswer } from "../../../../broker/server/handlers/18-api-versions.ts";
import { handlersByKey, servedApis } from "../../../../broker/server/handlers/index.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { WireClient } from "../../../helpers/wire-client.ts";

describe("the ApiVersions answer", () => {
  it("when some known APIs are served, then only those are listed, in the order given", () => {
    const answer = apiVersionsAnswer([Apis.Produce, Apis.Vote]);
    assert.deepEqual(answer, {
      errorCode: ErrorCode.NONE,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 7 },
        { apiKey: 52, minVersion: 0, maxVersion: 0 },
      ],
      throttleTimeMs: 0,
    });
  });
});

describe("ApiVersions", () => {
  const broker = useBroker();

  it("when asked with v3, then it advertises exactly the APIs it has handlers for, with their versions", async () => {
    const client = await WireClient.connect(broker.address);
    try {
      const response = await client.request(Apis.ApiVersions, 3, {
        clientSoftwareName: "test",
        clientSoftwareVersion: "1",
      });
      assert.equal(response.errorCode, ErrorCode.NONE);
      assert.deepEqual(
        response.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
        servedApis.map((api) => [api.apiKey, api.minVersion, api.maxVersion]),
      );
      const advertised = new Set(response.apiKeys.map((k) => k.apiKey));
      for (const api of API_LIST) assert.equal(advertised.has(api.apiKey), handlersByKey.has(api.apiKey), api.name);
      assert.deepEqual(
        response.apiKeys.find((k) => k.apiKey === 0),
        { apiKey: 0, minVersion: 0, maxVersion: 7 },
      );
    } finally {
      client.close();
    }
  });

  it("when asked with an unsupported version, then it answers error 35 in the v0 layout and keeps the connection", async () => {
    const raw = connect(broker.port, broker.host);
    let client: WireClient | undefined;
    try {
      // A v9 request with a flexible header, as a newer client would send.
      const writer = new Writer();
      const size = writer.reserveInt32();
      encodeRequestHeader(writer, { apiKey: 18, apiVersion: 9, correlationId: 77, clientId: "future" }, 2);
      writer.compactString("future-client").compactString("9.9").uvarint(0);
      size(writer.length - 4);
      const answer = new Promise<Buffer>((resolve) => raw.once("data", resolve));
      raw.write(writer.toBuffer());
      const frame = await answer;
      const reader = new Reader(frame, 4);
      assert.equal(reader.int32(), 77, "correlation id, then a v0 header with no tagged fields");
      const body = decode(Apis.ApiVersions.responseSchema, 0, reader);
      assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      assert.ok(body.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion === 3));
      client = new WireClient(raw);
      const retry = await client.request(Apis.ApiVersions, 0, { clientSoftwareName: "", clientSoftwareVersion: "" });
      assert.equal(retry.errorCode, ErrorCode.NONE);
    } finally {
      raw.destroy();
    }
  });
});
