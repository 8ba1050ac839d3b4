// SCRAM (RFC 5802) with SHA-256 and SHA-512 (RFC 7677), as Kafka's SCRAM-SHA-256 and SCRAM-SHA-512
// mechanisms use it: the key derivations both ends compute, and the four messages of an exchange
// (client-first, server-first, client-final, server-final) written and read. Both the broker and
// our client use it; no I/O, no state.
//
// Passwords are taken as UTF-8 without SASLprep, as Kafka's ScramFormatter takes them; channel
// binding is never used (gs2 header "n,,"), as Kafka offers none.
import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanismName = "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface ScramMechanism {
  readonly name: ScramMechanismName;
  readonly hash: "sha256" | "sha512";
  /** The hash's output size in bytes: the length of every key. */
  readonly keyLength: number;
}

export const SCRAM_MECHANISMS: Readonly<Record<ScramMechanismName, ScramMechanism>> = {
  "SCRAM-SHA-256": { name: "SCRAM-SHA-256", hash: "sha256", keyLength: 32 },
  "SCRAM-SHA-512": { name: "SCRAM-SHA-512", hash: "sha512", keyLength: 64 },
};

/** Kafka's default, and its minimum for both mechanisms. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
export const MIN_SCRAM_ITERATIONS = 4096;
/** Kafka's ScramMechanism maximum: more would only let a client make the broker burn CPU. */
export const MAX_SCRAM_ITERATIONS = 16384;

export function isScramMechanism(name: string): name is ScramMechanismName {
  return Object.hasOwn(SCRAM_MECHANISMS, name);
}

/** What a server keeps of a password (RFC 5802 §3): enough to check a proof, not to make one. */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** A malformed SCRAM message: the exchange cannot go on. */
export class ScramFormatError extends Error {}

const hmac = (mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer =>
  createHmac(mechanism.hash, key).update(text).digest();

const digest = (mechanism: ScramMechanism, data: Buffer): Buffer => createHash(mechanism.hash).update(data).digest();

/** SaltedPassword := Hi(Normalize(password), salt, i), which is PBKDF2 with the mechanism's HMAC. */
export function saltPasswordSync(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  return pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, mechanism.keyLength, mechanism.hash);
}

/** As saltPasswordSync, off the event loop (thousands of HMAC rounds). */
export function saltPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, "utf8"), salt, iterations, mechanism.keyLength, mechanism.hash);
}

export function clientKeyOf(mechanism: ScramMechanism, saltedPassword: Buffer): Buffer {
  return hmac(mechanism, saltedPassword, "Client Key");
}

/** The stored form of a salted password. */
export function credentialOf(
  mechanism: ScramMechanism,
  saltedPassword: Buffer,
  salt: Buffer,
  iterations: number,
): ScramCredential {
  return {
    salt,
    iterations,
    storedKey: digest(mechanism, clientKeyOf(mechanism, saltedPassword)),
    serverKey: hmac(mechanism, saltedPassword, "Server Key"),
  };
}

/** ClientProof := ClientKey XOR HMAC(StoredKey, AuthMessage). */
export function clientProof(mechanism: ScramMechanism, saltedPassword: Buffer, authMessage: string): Buffer {
  const clientKey = clientKeyOf(mechanism, saltedPassword);
  const signature = hmac(mechanism, digest(mechanism, clientKey), authMessage);
  return xor(clientKey, signature);
}

/** ServerSignature := HMAC(ServerKey, AuthMessage). */
export function serverSignature(mechanism: ScramMechanism, serverKey: Buffer, authMessage: string): Buffer {
  return hmac(mechanism, serverKey, authMessage);
}

/** Whether `proof` shows knowledge of the password behind `credential`: H(proof XOR ClientSignature) = StoredKey. */
export function verifyClientProof(
  mechanism: ScramMechanism,
  credential: ScramCredential,
  authMessage: string,
  proof: Buffer,
): boolean {
  if (proof.length !== mechanism.keyLength) return false;
  const clientKey = xor(proof, hmac(mechanism, credential.storedKey, authMessage));
  return timingSafeEqual(digest(mechanism, clientKey), credential.storedKey);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** RFC 5802 saslname: "," and "=" are written =2C and =3D. */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

export function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramFormatError(`invalid saslname "${text}"`);
  return text.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

/** `a=1,b=2` → its attributes in order; a value may contain "=" but not ",". */
function attributes(text: string): [string, string][] {
  return text.split(",").map((part) => {
    if (!/^[A-Za-z]=/.test(part)) throw new ScramFormatError(`malformed SCRAM attribute "${part}"`);
    return [part[0]!, part.slice(2)];
  });
}

/** The printable ASCII a nonce may hold, without ",". */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ClientFirstMessage {
  /** "n,," here: no channel binding, no authorization id other than the user. */
  readonly gs2Header: string;
  readonly authorizationId: string;
  readonly username: string;
  readonly nonce: string;
  /** Kafka's SCRAM extensions (e.g. tokenauth=true), after the nonce. */
  readonly extensions: ReadonlyMap<string, string>;
  /** The message without its gs2 header: the first part of the AuthMessage. */
  readonly bare: string;
}

export function formatClientFirst(username: string, nonce: string): { message: string; bare: string } {
  const bare = `n=${encodeSaslName(username)},r=${nonce}`;
  return { message: `n,,${bare}`, bare };
}

export function parseClientFirst(text: string): ClientFirstMessage {
  const match = /^([ny]),(?:a=([^,]*))?,(.*)$/s.exec(text);
  if (match === null) throw new ScramFormatError("client-first-message needs a gs2 header without channel binding");
  const bare = match[3]!;
  const [user, nonceAttribute, ...rest] = bare.split(",");
  const parts = attributes([user, nonceAttribute].join(","));
  if (parts[0]?.[0] !== "n" || parts[1]?.[0] !== "r")
    throw new ScramFormatError("client-first-message must name the user (n=) and then a nonce (r=)");
  const nonce = parts[1][1];
  // Kafka's extensions are key=value with keys of any length (tokenauth=true).
  const extensions = rest.map((pair): [string, string] => {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new ScramFormatError(`malformed SCRAM extension "${pair}"`);
    return [pair.slice(0, equals), pair.slice(equals + 1)];
  });
  if (!NONCE.test(nonce)) throw new ScramFormatError("client nonce holds characters a nonce may not");
  return {
    gs2Header: `${match[1]},${match[2] === undefined ? "" : `a=${match[2]}`},`,
    authorizationId: match[2] === undefined ? "" : decodeSaslName(match[2]),
    username: decodeSaslName(parts[0][1]),
    nonce,
    extensions: new Map(extensions),
    bare,
  };
}

export interface ServerFirstMessage {
  readonly nonce: string;
  readonly salt: Buffer;
  readonly iterations: number;
}

export function formatServerFirst({ nonce, salt, iterations }: ServerFirstMessage): string {
  return `r=${nonce},s=${salt.toString("base64")},i=${iterations}`;
}

export function parseServerFirst(text: string): ServerFirstMessage {
  const parts = new Map(attributes(text));
  const nonce = parts.get("r");
  const salt = parts.get("s");
  const iterations = Number(parts.get("i"));
  if (parts.has("e")) throw new ScramFormatError(`server refused: ${parts.get("e")}`);
  if (nonce === undefined || !NONCE.test(nonce) || salt === undefined || !Number.isInteger(iterations))
    throw new ScramFormatError("server-first-message needs a nonce (r=), a salt (s=) and an iteration count (i=)");
  return { nonce, salt: Buffer.from(salt, "base64"), iterations };
}

export interface ClientFinalMessage {
  /** base64 of the gs2 header (no channel binding data). */
  readonly channelBinding: string;
  readonly nonce: string;
  readonly proof: Buffer;
  /** The message up to the proof: the last part of the AuthMessage. */
  readonly withoutProof: string;
}

export function clientFinalWithoutProof(gs2Header: string, nonce: string): string {
  return `c=${Buffer.from(gs2Header).toString("base64")},r=${nonce}`;
}

export function formatClientFinal(withoutProof: string, proof: Buffer): string {
  return `${withoutProof},p=${proof.toString("base64")}`;
}

export function parseClientFinal(text: string): ClientFinalMessage {
  const proofAt = text.lastIndexOf(",p=");
  if (proofAt < 0) throw new ScramFormatError("client-final-message has no proof (p=)");
  const withoutProof = text.slice(0, proofAt);
  const parts = attributes(withoutProof);
  if (parts[0]?.[0] !== "c" || parts[1]?.[0] !== "r")
    throw new ScramFormatError("client-final-message must start with channel binding (c=) and nonce (r=)");
  return {
    channelBinding: parts[0][1],
    nonce: parts[1][1],
    proof: Buffer.from(text.slice(proofAt + 3), "base64"),
    withoutProof,
  };
}

/** AuthMessage := client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof. */
export function authMessageOf(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}

export function formatServerFinal(signature: Buffer): string {
  return `v=${signature.toString("base64")}`;
}

export function formatServerError(error: string): string {
  return `e=${error}`;
}

/** The server's verifier, or the error it sent instead. */
export function parseServerFinal(text: string): { verifier: Buffer } | { error: string } {
  const [first] = attributes(text);
  if (first?.[0] === "v") return { verifier: Buffer.from(first[1], "base64") };
  if (first?.[0] === "e") return { error: first[1] };
  throw new ScramFormatError("server-final-message is neither a verifier (v=) nor an error (e=)");
}
