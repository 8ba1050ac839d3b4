// Generates broker/protocol/messages/*.ts from Kafka's JSON message specs, restricted to the
// versions in supported-versions.ts, and broker/protocol/metadata-records/records/*.ts from the
// metadata-log record specs it lists. Run with `npm run gen:protocol`; the output is committed so
// the project builds without the specs.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { METADATA_LOG_SCHEMAS, SUPPORTED_APIS } from "../supported-versions.ts";

const protocolDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(protocolDir, "../..");
const specRoot = resolve(repoRoot, "../shared/kafka-protocol");
const messageSpecDir = join(specRoot, "message");
const outputDir = join(protocolDir, "messages");
const recordsOutputDir = join(protocolDir, "metadata-records", "records");

interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  /** Some specs write the tag as a string ("0"). */
  tag?: number | string;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: SpecField[];
  /** Ours, not the spec's: a field a writer may leave out (see MetadataLogSchema.addedTaggedFields). */
  optionalToWrite?: boolean;
}

interface SpecMessage {
  /** Absent for "data" messages such as LeaderChangeMessage, which are no API's. */
  apiKey?: number;
  type: "request" | "response" | "metadata" | "data";
  name: string;
  validVersions: string;
  /** Missing in some early metadata record specs. */
  flexibleVersions?: string;
  fields: SpecField[];
  commonStructs?: { name: string; versions: string; fields: SpecField[] }[];
}

/** Removes `//` comments outside string literals (the specs are JSON with comments). */
function stripJsonComments(text: string): string {
  let output = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      output += char;
      if (char === "\\") output += text[++i] ?? "";
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      output += char;
    } else if (char === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      output += "\n";
    } else {
      output += char;
    }
  }
  return output;
}

function readSpec(path: string): SpecMessage {
  return JSON.parse(stripJsonComments(readFileSync(path, "utf8"))) as SpecMessage;
}

interface Range {
  min: number;
  max: number;
}

function parseRange(range: string | undefined): Range {
  if (range === undefined || range === "none") return { min: 1, max: 0 };
  if (range.endsWith("+")) return { min: Number(range.slice(0, -1)), max: Number.POSITIVE_INFINITY };
  const dash = range.indexOf("-");
  if (dash < 0) return { min: Number(range), max: Number(range) };
  return { min: Number(range.slice(0, dash)), max: Number(range.slice(dash + 1)) };
}

function inRange(range: string | undefined, version: number): boolean {
  const { min, max } = parseRange(range);
  return version >= min && version <= max;
}

function versionsOf(range: Range): number[] {
  const versions: number[] = [];
  for (let v = range.min; v <= range.max; v++) versions.push(v);
  return versions;
}

function lowerFirst(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

const PRIMITIVES = new Set([
  "int8",
  "int16",
  "int32",
  "int64",
  "uint16",
  "uint32",
  "float64",
  "bool",
  "string",
  "bytes",
  "records",
  "uuid",
]);

interface MessageContext {
  spec: SpecMessage;
  /** Nested struct names starting with this stay as they are; others get the message name in front. */
  ownerName: string;
  versions: number[];
  flexibleVersions: string;
  isResponse: boolean;
  /**
   * The newest version our own client speaks (see supported-versions.ts): request fields only
   * newer versions have are optional for it to write, and response fields are typed as it reads them.
   */
  clientMaxVersion: number;
  commonStructs: Map<string, SpecField[]>;
  /** Interface declarations of nested structs, in order of first use. */
  nestedInterfaces: string[];
  /** Names taken by earlier messages: a clash would silently merge two different structs. */
  takenInterfaceNames: Set<string>;
  interfaceNames: Set<string>;
}

/** Whether a field is on the wire in `version` (tagged fields only exist in flexible versions). */
function fieldOnWire(field: SpecField, version: number, flexibleVersions: string): boolean {
  if (!inRange(field.versions, version)) return false;
  if (field.tag !== undefined && inRange(field.taggedVersions, version)) return inRange(flexibleVersions, version);
  return true;
}

function keptFields(fields: SpecField[], context: MessageContext): SpecField[] {
  return fields.filter((field) => context.versions.some((v) => fieldOnWire(field, v, context.flexibleVersions)));
}

function structFieldsOf(field: SpecField, structName: string, context: MessageContext): SpecField[] {
  const fields = field.fields ?? context.commonStructs.get(structName);
  if (fields === undefined) throw new Error(`${context.spec.name}: no fields for struct ${structName}`);
  return fields;
}

/** A struct's fields exist only in the versions where the field holding it does. */
function narrowedTo(field: SpecField, context: MessageContext): MessageContext {
  return { ...context, versions: context.versions.filter((v) => fieldOnWire(field, v, context.flexibleVersions)) };
}

function interfaceNameFor(structName: string, context: MessageContext): string {
  return structName.startsWith(context.ownerName) ? structName : context.spec.name + structName;
}

function literal(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  return JSON.stringify(value);
}

function defaultLiteral(field: SpecField): string | undefined {
  const raw = field.default;
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (text === "null") return "null";
  const baseType = field.type;
  if (baseType === "int64") return literal(BigInt(text));
  if (baseType === "bool") return literal(text === "true");
  if (baseType === "string") return literal(text);
  if (["int8", "int16", "int32", "uint16", "uint32", "float64"].includes(baseType)) return literal(Number(text));
  throw new Error(`unsupported default ${text} for type ${baseType}`);
}

function indent(text: string, depth: number): string {
  const pad = "  ".repeat(depth);
  return text
    .split("\n")
    .map((line) => (line.length > 0 ? pad + line : line))
    .join("\n");
}

/** Emits the schema literal of a field list, and registers the nested struct interfaces. */
function emitFields(fields: SpecField[], context: MessageContext): string {
  const lines = keptFields(fields, context).map((field) => emitField(field, context));
  if (lines.length === 0) return "[]";
  return `[\n${lines.map((line) => indent(line, 1)).join(",\n")},\n]`;
}

function emitType(typeName: string, field: SpecField, context: MessageContext): string {
  const isArray = typeName.startsWith("[]");
  const elementName = isArray ? typeName.slice(2) : typeName;
  let element: string;
  if (PRIMITIVES.has(elementName)) {
    element = literal(elementName);
  } else {
    const structFields = structFieldsOf(field, elementName, context);
    const structContext = narrowedTo(field, context);
    element = `{ kind: "struct", name: ${literal(elementName)}, fields: ${emitFields(structFields, structContext)} }`;
  }
  return isArray ? `{ kind: "array", items: ${element} }` : element;
}

function emitField(field: SpecField, context: MessageContext): string {
  const parts = [
    `name: ${literal(lowerFirst(field.name))}`,
    `type: ${emitType(field.type, field, context)}`,
    `versions: ${literal(field.versions)}`,
  ];
  if (field.nullableVersions !== undefined) parts.push(`nullableVersions: ${literal(field.nullableVersions)}`);
  if (field.tag !== undefined) {
    parts.push(`tag: ${Number(field.tag)}`, `taggedVersions: ${literal(field.taggedVersions ?? field.versions)}`);
  }
  const defaultValue = defaultLiteral(field);
  if (defaultValue !== undefined) parts.push(`default: ${defaultValue}`);
  if (field.flexibleVersions !== undefined) parts.push(`flexibleVersions: ${literal(field.flexibleVersions)}`);
  return `{ ${parts.join(", ")} }`;
}

function describeVersions(field: SpecField, context: MessageContext): string | undefined {
  const notes: string[] = [];
  const onWire = context.versions.filter((v) => fieldOnWire(field, v, context.flexibleVersions));
  if (onWire.length !== context.versions.length) notes.push(`versions ${compactVersionList(onWire)}`);
  const nullable = onWire.filter((v) => inRange(field.nullableVersions, v));
  if (nullable.length > 0 && nullable.length !== onWire.length)
    notes.push(`nullable in ${compactVersionList(nullable)}`);
  const tagged = onWire.filter((v) => field.tag !== undefined && inRange(field.taggedVersions, v));
  if (tagged.length > 0) notes.push(`tagged field ${field.tag}`);
  const defaultValue = defaultLiteral(field);
  if (defaultValue !== undefined) notes.push(`default ${defaultValue}`);
  return notes.length > 0 ? notes.join("; ") : undefined;
}

function compactVersionList(versions: number[]): string {
  if (versions.length === 0) return "none";
  const first = versions[0]!;
  const last = versions[versions.length - 1]!;
  return first === last ? `${first}` : `${first}-${last}`;
}

function tsType(field: SpecField, context: MessageContext): string {
  const isArray = field.type.startsWith("[]");
  const elementName = isArray ? field.type.slice(2) : field.type;
  let element: string;
  switch (elementName) {
    case "int8":
    case "int16":
    case "int32":
    case "uint16":
    case "uint32":
    case "float64":
      element = "number";
      break;
    case "int64":
      element = "bigint";
      break;
    case "bool":
      element = "boolean";
      break;
    case "string":
      element = "string";
      break;
    case "bytes":
    case "uuid":
      element = "Buffer";
      break;
    case "records":
      // Responses may pass chunks read from the log, written out without copying.
      element = context.isResponse ? "Buffer | Buffer[]" : "Buffer";
      break;
    default:
      element = emitInterface(
        interfaceNameFor(elementName, context),
        structFieldsOf(field, elementName, context),
        narrowedTo(field, context),
      );
  }
  let type = isArray ? `${element.includes(" ") ? `(${element})` : element}[]` : element;
  // A response is read by our client only in the versions it sends: a null it never sees is not in the type.
  const readVersions = context.isResponse ? clientVersions(context) : context.versions;
  const nullable =
    elementName === "records" ||
    readVersions.some((v) => fieldOnWire(field, v, context.flexibleVersions) && inRange(field.nullableVersions, v));
  if (nullable) type += " | null";
  return type;
}

/** The versions of the range our own client sends (all of them when it sends none: a struct beyond them). */
function clientVersions(context: MessageContext): number[] {
  const versions = context.versions.filter((v) => v <= context.clientMaxVersion);
  return versions.length > 0 ? versions : context.versions;
}

/** Emits (once) the interface of a struct and returns its name. */
function emitInterface(name: string, fields: SpecField[], context: MessageContext): string {
  if (context.interfaceNames.has(name)) return name;
  if (context.takenInterfaceNames.has(name)) throw new Error(`interface name ${name} is used by two messages`);
  context.interfaceNames.add(name);
  const body = interfaceBody(fields, context);
  context.nestedInterfaces.push(`export interface ${name} {\n${body}}\n`);
  return name;
}

function interfaceBody(fields: SpecField[], context: MessageContext): string {
  let body = "";
  for (const field of keptFields(fields, context)) {
    const note = describeVersions(field, context);
    if (note !== undefined) body += `  /** ${note} */\n`;
    // Decoded requests always carry every field (defaults fill the gaps); responses being
    // built may leave out fields that not every version has, that are tagged, or whose
    // spec default is the usual answer.
    const inEveryVersion = (context.isResponse ? clientVersions(context) : context.versions).every(
      (v) =>
        fieldOnWire(field, v, context.flexibleVersions) &&
        !(field.tag !== undefined && inRange(field.taggedVersions, v)),
    );
    // A request field only in versions newer than our client sends is optional too, so that the
    // client need not name it; decoding still fills it.
    const onlyBeyondClient = !clientVersions(context).some((v) => fieldOnWire(field, v, context.flexibleVersions));
    const optional =
      field.optionalToWrite ||
      (context.isResponse && (!inEveryVersion || field.default !== undefined)) ||
      (!context.isResponse && onlyBeyondClient)
        ? "?"
        : "";
    body += `  ${lowerFirst(field.name)}${optional}: ${tsType(field, context)};\n`;
  }
  return body;
}

interface MessageTarget {
  spec: SpecMessage;
  ownerName: string;
  versions: Range;
  /** The newest version our own client speaks; the whole range unless set. */
  clientMaxVersion?: number;
  /** Overrides the spec's flexibleVersions (metadata-log records are flexible in every version). */
  flexibleVersions?: string;
}

function generateMessage(target: MessageTarget, allInterfaceNames: Set<string>): string {
  const { spec, versions } = target;
  const validRange = parseRange(spec.validVersions);
  if (versions.min < validRange.min || versions.max > validRange.max) {
    throw new Error(`${spec.name}: supported ${versions.min}-${versions.max} is outside ${spec.validVersions}`);
  }
  const flexibleVersions = target.flexibleVersions ?? spec.flexibleVersions ?? "none";
  const context: MessageContext = {
    spec,
    ownerName: target.ownerName,
    versions: versionsOf(versions),
    flexibleVersions,
    isResponse: spec.type === "response",
    clientMaxVersion: target.clientMaxVersion ?? versions.max,
    commonStructs: new Map((spec.commonStructs ?? []).map((struct) => [struct.name, struct.fields])),
    nestedInterfaces: [],
    takenInterfaceNames: allInterfaceNames,
    interfaceNames: new Set([spec.name]),
  };
  if (allInterfaceNames.has(spec.name)) throw new Error(`duplicate interface ${spec.name}`);
  const topInterface = `export interface ${spec.name} {\n${interfaceBody(spec.fields, context)}}\n`;
  const schema =
    `export const ${spec.name}Schema: MessageSchema<${spec.name}> = {\n` +
    `  name: ${literal(spec.name)},\n` +
    `  apiKey: ${spec.apiKey ?? -1},\n` +
    `  type: ${literal(spec.type)},\n` +
    `  validVersions: ${literal(`${versions.min}-${versions.max}`)},\n` +
    `  flexibleVersions: ${literal(flexibleVersions)},\n` +
    `  fields: ${indent(emitFields(spec.fields, context), 1).trimStart()},\n` +
    `};\n`;
  for (const name of context.interfaceNames) allInterfaceNames.add(name);
  return [topInterface, ...context.nestedInterfaces, schema].join("\n");
}

/** Empties a wholly generated directory, so modules of APIs or records no longer listed go. */
function freshOutputDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const existing of readdirSync(dir)) {
    if (existing.endsWith(".ts")) rmSync(join(dir, existing));
  }
}

function generateApiMessages(): void {
  freshOutputDir(outputDir);
  const interfaceNames = new Set<string>();
  const moduleNames: string[] = [];
  for (const api of SUPPORTED_APIS) {
    const moduleName = kebab(api.name);
    moduleNames.push(moduleName);
    const header =
      `// Generated by broker/protocol/gen/generate.ts from the Apache Kafka message specs\n` +
      `// ${api.name}Request.json and ${api.name}Response.json (versions ${api.minVersion}-${api.maxVersion}). Do not edit.\n\n` +
      `import type { MessageSchema } from "../schema.ts";\n`;
    const versions = { min: api.minVersion, max: api.maxVersion };
    const target = (kind: string): MessageTarget => ({
      spec: readSpec(join(messageSpecDir, `${api.name}${kind}.json`)),
      ownerName: api.name,
      versions,
      clientMaxVersion: api.clientMaxVersion,
    });
    const request = generateMessage(target("Request"), interfaceNames);
    const response = generateMessage(target("Response"), interfaceNames);
    writeFileSync(join(outputDir, `${moduleName}.ts`), `${header}\n${request}\n${response}`);
  }
  const index =
    `// Generated by broker/protocol/gen/generate.ts. Do not edit.\n\n` +
    moduleNames.map((name) => `export * from "./${name}.ts";\n`).join("");
  writeFileSync(join(outputDir, "index.ts"), index);
  console.log(`wrote ${moduleNames.length} message modules to ${outputDir}`);
}

/**
 * The metadata log's records, every version of each, all flexible: the log frames record bodies in
 * the flexible encoding whatever an early spec says (Kafka's current specs declare them all "0+").
 * The index adds the table of the records with an apiKey (the record type in the frame), by name.
 */
function generateMetadataRecords(): void {
  freshOutputDir(recordsOutputDir);
  const interfaceNames = new Set<string>();
  const modules: { moduleName: string; spec: SpecMessage }[] = [];
  for (const { spec: specPath, maxVersion, nullableFields, addedTaggedFields } of METADATA_LOG_SCHEMAS) {
    const spec = readSpec(join(specRoot, specPath));
    for (const name of nullableFields ?? []) {
      const field = spec.fields.find((f) => f.name === name);
      if (!field) throw new Error(`${specPath} has no field ${name}`);
      field.nullableVersions = "0+";
    }
    for (const added of addedTaggedFields ?? []) {
      if (spec.fields.some((f) => f.name === added.name || (f.tag !== undefined && Number(f.tag) === added.tag)))
        throw new Error(`${specPath} already has a field ${added.name} or tag ${added.tag}`);
      spec.fields.push({
        name: added.name,
        type: added.type,
        versions: "0+",
        nullableVersions: "0+",
        taggedVersions: "0+",
        tag: added.tag,
        default: "null",
        optionalToWrite: true,
      });
    }
    const validRange = parseRange(spec.validVersions);
    const range = { min: validRange.min, max: maxVersion ?? validRange.max };
    const moduleName = kebab(spec.name);
    modules.push({ moduleName, spec });
    const header =
      `// Generated by broker/protocol/gen/generate.ts from the Apache Kafka spec ${specPath}\n` +
      `// (${range.min === range.max ? `version ${range.min}` : `versions ${range.min}-${range.max}`}, all flexible). Do not edit.\n\n` +
      `import type { MessageSchema } from "../../schema.ts";\n`;
    const body = generateMessage(
      { spec, ownerName: spec.name, versions: range, flexibleVersions: "0+" },
      interfaceNames,
    );
    writeFileSync(join(recordsOutputDir, `${moduleName}.ts`), `${header}\n${body}`);
  }
  const framed = modules.filter(({ spec }) => spec.type === "metadata" && spec.apiKey !== undefined);
  const recordTypes = framed.map(({ spec }) => spec.apiKey);
  if (new Set(recordTypes).size !== recordTypes.length)
    throw new Error(`two metadata records share a type: ${recordTypes}`);
  const index =
    `// Generated by broker/protocol/gen/generate.ts. Do not edit.\n\n` +
    framed.map(({ moduleName, spec }) => `import { ${spec.name}Schema } from "./${moduleName}.ts";\n`).join("") +
    `\n` +
    modules.map(({ moduleName }) => `export * from "./${moduleName}.ts";\n`).join("") +
    `\n/** The metadata records by name (the frame's record type is each schema's apiKey). */\n` +
    `export const METADATA_RECORD_SCHEMAS = {\n` +
    framed.map(({ spec }) => `  ${spec.name}: ${spec.name}Schema,\n`).join("") +
    `} as const;\n`;
  writeFileSync(join(recordsOutputDir, "index.ts"), index);
  console.log(`wrote ${modules.length} metadata record modules to ${recordsOutputDir}`);
}

function main(): void {
  generateApiMessages();
  generateMetadataRecords();
}

main();
