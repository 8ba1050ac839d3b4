// SASL/PLAIN (RFC 4616): one message, [authzid] NUL authcid NUL passwd, UTF-8. Kafka's PLAIN server
// takes an authorization id only when it is the user's own name.

export interface PlainCredentials {
  /** Empty: act as the user itself. */
  readonly authorizationId: string;
  readonly username: string;
  readonly password: string;
}

export class PlainFormatError extends Error {}

export function encodePlain({
  authorizationId = "",
  username,
  password,
}: Partial<PlainCredentials> & {
  username: string;
  password: string;
}): Buffer {
  return Buffer.from(`${authorizationId}\0${username}\0${password}`, "utf8");
}

export function decodePlain(message: Buffer): PlainCredentials {
  const parts = message.toString("utf8").split("\0");
  if (parts.length !== 3) throw new PlainFormatError("PLAIN message must be authzid NUL authcid NUL passwd");
  const [authorizationId, username, password] = parts as [string, string, string];
  if (username === "") throw new PlainFormatError("PLAIN message names no user");
  if (password === "") throw new PlainFormatError("PLAIN message has no password");
  return { authorizationId, username, password };
}
