// The generator runs as `npm run gen:protocol` does, on a scratch copy of the tree (it writes next
// to itself and reads the specs from ../shared/kafka-protocol), so the committed files are never
// touched.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";
import { Reader, Writer } from "../../../../broker/protocol/primitives.ts";
import { decode, encode, type MessageSchema } from "../../../../broker/protocol/schema.ts";
import { runScript } from "../../../helpers/command.ts";
import { useScratchDirs } from "../../../helpers/scratch-dirs.ts";

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));
const protocolDir = join(repoRoot, "broker", "protocol");
const realSpecs = join(repoRoot, "..", "shared", "kafka-protocol");

/** A scratch `<root>/repo/broker/protocol` with the generator, and `<root>/shared/kafka-protocol`. */
function scratchTree(root: string, supportedVersions: string, specs: (specRoot: string) => void): string {
  const scratchProtocol = join(root, "repo", "broker", "protocol");
  mkdirSync(join(scratchProtocol, "gen"), { recursive: true });
  // ES modules, as in the repository (the test imports the generated ones).
  writeFileSync(join(root, "repo", "package.json"), '{ "type": "module" }\n');
  cpSync(join(protocolDir, "gen", "generate.ts"), join(scratchProtocol, "gen", "generate.ts"));
  writeFileSync(join(scratchProtocol, "supported-versions.ts"), supportedVersions);
  // The generated modules import ../schema.ts; the real one, so they can be used.
  symlinkSync(join(protocolDir, "schema.ts"), join(scratchProtocol, "schema.ts"));
  mkdirSync(join(root, "shared"), { recursive: true });
  specs(join(root, "shared", "kafka-protocol"));
  return scratchProtocol;
}

async function generate(scratchProtocol: string): Promise<string> {
  const run = await runScript(join(scratchProtocol, "gen", "generate.ts"));
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

describe("the protocol generator", () => {
  const scratchDir = useScratchDirs("protocol-gen-");

  it("when a spec is generated for a supported range, then fields outside it are left out, comments are stripped outside strings, and the schema round-trips", async () => {
    const scratch = scratchTree(
      scratchDir(),
      `export interface SupportedApi { apiKey: number; name: string; minVersion: number; maxVersion: number }
export const SUPPORTED_APIS: readonly SupportedApi[] = [{ apiKey: 1000, name: "Echo", minVersion: 1, maxVersion: 2 }];
export const METADATA_LOG_SCHEMAS = [{ spec: "metadata/EchoRecord.json" }, { spec: "message/EchoData.json", maxVersion: 0 }];
`,
      (specRoot) => {
        const messageDir = join(specRoot, "message");
        mkdirSync(messageDir, { recursive: true });
        writeFileSync(
          join(messageDir, "EchoRequest.json"),
          `// A licence header, as Kafka's specs have: "quotes" and // slashes inside a comment.
{
  "apiKey": 1000,
  "type": "request",
  "name": "EchoRequest",
  // Version 0 had Legacy; version 2 adds Note; version 3 is the first flexible one.
  "validVersions": "0-3",
  "flexibleVersions": "3+",
  "fields": [
    { "name": "Legacy", "type": "int32", "versions": "0", "about": "only in v0" },
    { "name": "Text", "type": "string", "versions": "0+", "about": "see http://example.com // not a comment" },
    { "name": "Note", "type": "string", "versions": "2+", "nullableVersions": "2+", "default": "null",
      "about": "added in v2" },
    { "name": "Items", "type": "[]Item", "versions": "0+", "about": "the items", "fields": [
      { "name": "Id", "type": "int64", "versions": "0+", "about": "an id" }
    ]}
  ]
}
`,
        );
        // An early record spec: no flexibleVersions, a tag written as a string.
        mkdirSync(join(specRoot, "metadata"));
        writeFileSync(
          join(specRoot, "metadata", "EchoRecord.json"),
          `{ "apiKey": 40, "type": "metadata", "name": "EchoRecord", "validVersions": "0-1",
  "fields": [
    { "name": "Id", "type": "int32", "versions": "0+" },
    { "name": "Ends", "type": "[]End", "versions": "1+", "fields": [{ "name": "Host", "type": "string", "versions": "1+" }] },
    { "name": "Note", "type": "string", "versions": "0+", "nullableVersions": "0+", "default": "null",
      "taggedVersions": "0+", "tag": "0" }
  ] }
`,
        );
        writeFileSync(
          join(messageDir, "EchoData.json"),
          `{ "type": "data", "name": "EchoData", "validVersions": "0-1", "flexibleVersions": "0+",
  "fields": [{ "name": "Size", "type": "int16", "versions": "0+" }, { "name": "Extra", "type": "int8", "versions": "1+" }] }
`,
        );
        writeFileSync(
          join(messageDir, "EchoResponse.json"),
          `{ "apiKey": 1000, "type": "response", "name": "EchoResponse", "validVersions": "0-3", "flexibleVersions": "3+",
  "fields": [{ "name": "ErrorCode", "type": "int16", "versions": "0+", "about": "the error" }] }
`,
        );
      },
    );
    mkdirSync(join(scratch, "messages"));
    writeFileSync(join(scratch, "messages", "stale.ts"), "// from an API no longer supported\n");

    assert.match(await generate(scratch), /wrote 1 message modules/);
    assert.deepEqual(readdirSync(join(scratch, "messages")).sort(), ["echo.ts", "index.ts"]);
    assert.equal(
      readFileSync(join(scratch, "messages", "index.ts"), "utf8").includes('export * from "./echo.ts";'),
      true,
    );
    const generated = readFileSync(join(scratch, "messages", "echo.ts"), "utf8");
    assert.match(generated, /EchoRequest\.json and EchoResponse\.json \(versions 1-2\)\. Do not edit\./);

    const echo = (await tsImport(join(scratch, "messages", "echo.ts"), import.meta.url)) as Record<
      string,
      MessageSchema<any>
    >;
    const request = echo.EchoRequestSchema!;
    assert.equal(request.validVersions, "1-2");
    assert.deepEqual(
      request.fields.map((field) => field.name),
      ["text", "note", "items"],
    );
    const value = { text: "hello", note: null, items: [{ id: 5n }] };
    const bytes = encode(request, 2, value, new Writer()).toBuffer();
    assert.deepEqual(decode(request, 2, new Reader(bytes)), value);
    assert.equal(echo.EchoResponseSchema!.type, "response");

    const recordsDir = join(scratch, "metadata-records", "records");
    assert.deepEqual(readdirSync(recordsDir).sort(), ["echo-data.ts", "echo-record.ts", "index.ts"]);
    const records = (await tsImport(join(recordsDir, "index.ts"), import.meta.url)) as Record<string, any>;
    const recordSchema = records.EchoRecordSchema as MessageSchema<any>;
    assert.equal(recordSchema.validVersions, "0-1");
    assert.equal(recordSchema.flexibleVersions, "0+", "metadata records are flexible whatever the spec says");
    assert.equal(recordSchema.apiKey, 40);
    assert.deepEqual(Object.keys(records.METADATA_RECORD_SCHEMAS), ["EchoRecord"], "data messages have no record type");
    const record = { id: 3, ends: [{ host: "h" }], note: "n" };
    const recordBytes = encode(recordSchema, 1, record, new Writer()).toBuffer();
    assert.equal(recordBytes.toString("hex"), "00000003" + "02" + "0268" + "00" + "01" + "00" + "02" + "026e");
    assert.deepEqual(decode(recordSchema, 1, new Reader(recordBytes)), record);
    const data = records.EchoDataSchema as MessageSchema<any>;
    assert.equal(data.validVersions, "0-0");
    assert.equal(data.apiKey, -1);
    assert.deepEqual(
      data.fields.map((field) => field.name),
      ["size"],
    );
  });

  it("when our client speaks fewer versions than the broker serves, then fields only newer versions have are optional to it, and responses are typed as it reads them", async () => {
    const scratch = scratchTree(
      scratchDir(),
      `export interface SupportedApi { apiKey: number; name: string; minVersion: number; maxVersion: number; clientMaxVersion?: number }
export const SUPPORTED_APIS: readonly SupportedApi[] = [{ apiKey: 1000, name: "Echo", minVersion: 0, maxVersion: 1, clientMaxVersion: 0 }];
export const METADATA_LOG_SCHEMAS = [];
`,
      (specRoot) => {
        const messageDir = join(specRoot, "message");
        mkdirSync(messageDir, { recursive: true });
        writeFileSync(
          join(messageDir, "EchoRequest.json"),
          `{ "apiKey": 1000, "type": "request", "name": "EchoRequest", "validVersions": "0-1", "flexibleVersions": "none",
  "fields": [
    { "name": "Name", "type": "string", "versions": "0+", "nullableVersions": "1+" },
    { "name": "TopicId", "type": "uuid", "versions": "1+" }
  ] }
`,
        );
        writeFileSync(
          join(messageDir, "EchoResponse.json"),
          `{ "apiKey": 1000, "type": "response", "name": "EchoResponse", "validVersions": "0-1", "flexibleVersions": "none",
  "fields": [
    { "name": "Name", "type": "string", "versions": "0+", "nullableVersions": "1+" },
    { "name": "Host", "type": "string", "versions": "0" },
    { "name": "Hosts", "type": "[]string", "versions": "1+" }
  ] }
`,
        );
      },
    );
    await generate(scratch);
    const generated = readFileSync(join(scratch, "messages", "echo.ts"), "utf8");
    const body = (name: string) => generated.slice(generated.indexOf(`export interface ${name} {`)).split("}")[0]!;
    // The request as the broker decodes it: every version's nulls; v1's topic id optional for our v0 client.
    assert.match(body("EchoRequest"), /name: string \| null;/);
    assert.match(body("EchoRequest"), /topicId\?: Buffer;/);
    // The response as our v0 client reads it: no null name, a v0-only host it can count on.
    assert.match(body("EchoResponse"), /name: string;/);
    assert.match(body("EchoResponse"), /host: string;/);
    assert.match(body("EchoResponse"), /hosts\?: string\[\];/);
  });

  it("when regenerated from ../shared/kafka-protocol, then it writes exactly the committed messages and records", {
    skip: existsSync(join(realSpecs, "message")) ? false : `Kafka's message specs are not at ${realSpecs}`,
  }, async () => {
    const scratch = scratchTree(
      scratchDir(),
      readFileSync(join(protocolDir, "supported-versions.ts"), "utf8"),
      (specRoot) => symlinkSync(realSpecs, specRoot),
    );
    await generate(scratch);
    for (const dir of ["messages", join("metadata-records", "records")]) {
      const committed = readdirSync(join(protocolDir, dir)).sort();
      assert.deepEqual(readdirSync(join(scratch, dir)).sort(), committed);
      for (const file of committed) {
        assert.equal(
          readFileSync(join(scratch, dir, file), "utf8"),
          readFileSync(join(protocolDir, dir, file), "utf8"),
          `${dir}/${file} differs from what the generator writes`,
        );
      }
    }
  });
});
