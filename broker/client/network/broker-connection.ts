// One TCP connection to one broker: frames requests with broker/protocol, pipelines them with
// correlation ids, negotiates each API's version from the broker's ApiVersions answer, and turns
// socket trouble into retriable KafkaJSConnectionError.
//
// Ownership: a BrokerConnection owns its socket, read buffer and table of in-flight requests.
import { connect as tcpConnect, type Socket } from "node:net";
import { Apis, type ApiDefinition } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { decodeResponse, encodeRequest } from "../../protocol/headers.ts";
import { Reader } from "../../protocol/primitives.ts";
import { decode } from "../../protocol/schema.ts";
import {
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSServerDoesNotSupportApiKey,
} from "../errors.ts";
import type { Logger } from "../logger.ts";

export interface BrokerConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  connectionTimeout: number;
  requestTimeout: number;
  logger: Logger;
}

export interface RequestOptions {
  /** Defaults to the highest version both sides support. */
  version?: number;
  /** Produce with acks=0 gets no response. */
  expectResponse?: boolean;
  /** Extra time on top of requestTimeout, for requests the broker may hold (Fetch, JoinGroup). */
  extraTimeout?: number;
}

interface InFlight {
  decodeBody(payload: Buffer): unknown;
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

export class BrokerConnection {
  private socket: Socket | undefined;
  private connecting: Promise<void> | undefined;
  private readonly inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private versions = new Map<number, VersionRange>();

  constructor(private readonly options: BrokerConnectionOptions) {}

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get isConnected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && this.connecting === undefined;
  }

  /** Connects (once; concurrent callers share the attempt) and negotiates API versions. */
  connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    this.connecting ??= this.open().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  /** The version to use for `api`: the highest both sides implement. */
  versionFor(api: ApiDefinition<any, any>): number {
    const broker = this.versions.get(api.apiKey);
    const version = broker ? Math.min(broker.maxVersion, api.maxVersion) : -1;
    if (!broker || version < Math.max(broker.minVersion, api.minVersion)) {
      throw new KafkaJSServerDoesNotSupportApiKey(`broker ${this.address} does not support ${api.name} at versions ${api.minVersion}-${api.maxVersion}`, api.apiKey, api.name);
    }
    return version;
  }

  async request<Req, Res>(api: ApiDefinition<Req, Res>, body: Req, options: RequestOptions = {}): Promise<Res> {
    await this.connect();
    return this.send(api, options.version ?? this.versionFor(api), body, options);
  }

  disconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.failAll(new KafkaJSConnectionClosedError("Connection closed by the client", this.options.host, this.options.port));
  }

  private async open(): Promise<void> {
    const { host, port, connectionTimeout } = this.options;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new KafkaJSConnectionError(`Connection timeout to ${host}:${port}`, { broker: this.address }));
      }, connectionTimeout);
      s.once("connect", () => { clearTimeout(timer); resolve(s); });
      s.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new KafkaJSConnectionError(`Connection error: ${err.message}`, { broker: this.address, code: err.code, cause: err }));
      });
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.options.logger.debug("connection error", { broker: this.address, error: err.message }));
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
      this.chunks = [];
      this.buffered = 0;
      this.failAll(new KafkaJSConnectionClosedError(`Connection to ${this.address} closed`, host, port));
    });
    this.socket = socket;
    await this.negotiateVersions();
  }

  /** Asks with ApiVersions v3 and steps down on UNSUPPORTED_VERSION, reading the v0 layout it then gets. */
  private async negotiateVersions(): Promise<void> {
    for (const version of [3, 2, 1, 0]) {
      const response = await this.send(Apis.ApiVersions, version, { clientSoftwareName: "points-ledger-kafka-client", clientSoftwareVersion: "0.1.0" }, {}, (payload) => {
        // An error 35 answer comes in the v0 body layout whatever version was asked.
        const reader = new Reader(payload, 4);
        const peekedError = payload.length >= 6 ? payload.readInt16BE(4) : 0;
        return peekedError === ErrorCode.UNSUPPORTED_VERSION ? decode(Apis.ApiVersions.responseSchema, 0, reader) : decodeResponse(Apis.ApiVersions, version, payload).body;
      });
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) continue;
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaJSProtocolError(response.errorCode);
      this.versions = new Map(response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
      return;
    }
    throw new KafkaJSConnectionError(`broker ${this.address} answers no ApiVersions version`, { broker: this.address });
  }

  private send<Req, Res>(
    api: ApiDefinition<Req, Res>,
    version: number,
    body: Req,
    options: RequestOptions,
    decodeBody: (payload: Buffer) => unknown = (payload) => decodeResponse(api, version, payload).body,
  ): Promise<Res> {
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      return Promise.reject(new KafkaJSConnectionClosedError(`Not connected to ${this.address}`, this.options.host, this.options.port));
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const frame = encodeRequest(api, version, correlationId, this.options.clientId, body);
    if (options.expectResponse === false) {
      this.write(socket, frame);
      return Promise.resolve(undefined as Res);
    }
    return new Promise<Res>((resolve, reject) => {
      const timeoutMs = this.options.requestTimeout + (options.extraTimeout ?? 0);
      const timer = setTimeout(() => {
        this.inFlight.delete(correlationId);
        reject(new KafkaJSRequestTimeoutError(`Request ${api.name}(version: ${version}) timed out`, this.address, correlationId));
      }, timeoutMs);
      this.inFlight.set(correlationId, { decodeBody, resolve: resolve as (body: unknown) => void, reject, timer });
      this.write(socket, frame);
    });
  }

  private write(socket: Socket, frame: Buffer[]): void {
    if (frame.length === 1) {
      socket.write(frame[0]!);
      return;
    }
    socket.cork();
    for (const chunk of frame) socket.write(chunk);
    socket.uncork();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const payload = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.deliver(payload);
    }
  }

  private deliver(payload: Buffer): void {
    const correlationId = payload.readInt32BE(0);
    const waiting = this.inFlight.get(correlationId);
    if (!waiting) return; // timed out already
    this.inFlight.delete(correlationId);
    clearTimeout(waiting.timer);
    try {
      waiting.resolve(waiting.decodeBody(payload));
    } catch (err) {
      waiting.reject(new KafkaJSConnectionError(`Malformed response from ${this.address}: ${(err as Error).message}`, { broker: this.address, cause: err }));
    }
  }

  private failAll(error: Error): void {
    for (const waiting of this.inFlight.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.inFlight.clear();
  }
}
