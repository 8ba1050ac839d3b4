// Request/response headers and whole frames (int32 size + header + body).

import type { ApiDefinition } from "./apis.ts";
import { requestHeaderVersion, responseHeaderVersion } from "./apis.ts";
import {
  decodeAllowanceFor,
  ProtocolDecodeError,
  Reader,
  readTaggedFields,
  Writer,
  writeTaggedFields,
} from "./primitives.ts";
import { decode, encode } from "./schema.ts";

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ResponseHeader {
  correlationId: number;
}

/** Api key and version are the first 4 bytes of every request: the header version depends on them. */
export function peekApiKeyAndVersion(payload: Buffer, offset = 0): { apiKey: number; apiVersion: number } {
  if (payload.length - offset < 4) throw new ProtocolDecodeError("request shorter than its api key and version");
  return { apiKey: payload.readInt16BE(offset), apiVersion: payload.readInt16BE(offset + 2) };
}

export function decodeRequestHeader(reader: Reader, headerVersion: number): RequestHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  // Header v1+ keeps the int16-length client id even when flexible (old brokers must read it).
  const clientId = headerVersion >= 1 ? reader.nullableString() : null;
  if (headerVersion >= 2) readTaggedFields(reader);
  return { apiKey, apiVersion, correlationId, clientId };
}

export function encodeRequestHeader(writer: Writer, header: RequestHeader, headerVersion: number): void {
  writer.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId);
  if (headerVersion >= 1) writer.nullableString(header.clientId);
  if (headerVersion >= 2) writeTaggedFields(writer);
}

export function decodeResponseHeader(reader: Reader, headerVersion: number): ResponseHeader {
  const correlationId = reader.int32();
  if (headerVersion >= 1) readTaggedFields(reader);
  return { correlationId };
}

export function encodeResponseHeader(writer: Writer, correlationId: number, headerVersion: number): void {
  writer.int32(correlationId);
  if (headerVersion >= 1) writeTaggedFields(writer);
}

/**
 * Reads the header of a request frame (without its size prefix), choosing the header version
 * from the peeked api key and version. The body is left to the caller, who may first check
 * that the version is supported.
 */
export function readRequestHeader(payload: Buffer): { header: RequestHeader; bodyReader: Reader } {
  const { apiKey, apiVersion } = peekApiKeyAndVersion(payload);
  const bodyReader = new Reader(payload, 0, decodeAllowanceFor(payload.length));
  const header = decodeRequestHeader(bodyReader, requestHeaderVersion(apiKey, apiVersion));
  return { header, bodyReader };
}

/** A size-prefixed frame whose size is patched in once the body is written. */
function frame(writeContent: (writer: Writer) => void): Buffer[] {
  const writer = new Writer();
  const setSize = writer.reserveInt32();
  writeContent(writer);
  setSize(writer.length - 4);
  return writer.chunks();
}

/** A response frame as chunks for `socket.write`/`writev`; raw record chunks are not copied. */
export function encodeResponseFrame(
  correlationId: number,
  headerVersion: number,
  writeBody: (writer: Writer) => void,
): Buffer[] {
  return frame((writer) => {
    encodeResponseHeader(writer, correlationId, headerVersion);
    writeBody(writer);
  });
}

export function encodeResponse<Request, Response>(
  api: ApiDefinition<Request, Response>,
  apiVersion: number,
  correlationId: number,
  body: Response,
): Buffer[] {
  return encodeResponseFrame(correlationId, responseHeaderVersion(api.apiKey, apiVersion), (writer) => {
    encode(api.responseSchema, apiVersion, body, writer);
  });
}

export function encodeRequest<Request, Response>(
  api: ApiDefinition<Request, Response>,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: Request,
): Buffer[] {
  return frame((writer) => {
    const header = { apiKey: api.apiKey, apiVersion, correlationId, clientId };
    encodeRequestHeader(writer, header, requestHeaderVersion(api.apiKey, apiVersion));
    encode(api.requestSchema, apiVersion, body, writer);
  });
}

/**
 * Decodes a response frame (without its size prefix) of a request sent with `apiVersion`. As for
 * requests, what decoding may build is bounded by the frame's size: a garbage answer fails here.
 */
export function decodeResponse<Request, Response>(
  api: ApiDefinition<Request, Response>,
  apiVersion: number,
  payload: Buffer,
): { correlationId: number; body: Response } {
  const reader = new Reader(payload, 0, decodeAllowanceFor(payload.length));
  const { correlationId } = decodeResponseHeader(reader, responseHeaderVersion(api.apiKey, apiVersion));
  return { correlationId, body: decode(api.responseSchema, apiVersion, reader) };
}
