// One TCP connection to one broker: frames requests with broker/protocol, pipelines them with
// correlation ids, negotiates each API's version from the broker's ApiVersions answer, with the
// `sasl` option authenticates before anything else is sent (sasl/authenticate.ts), and turns
// socket trouble into retriable KafkaJSConnectionError. An answer no broker sends (an impossible
// size, a correlation id nobody waits for, a body that does not decode, a response that stops
// halfway) closes the socket: nothing after it on that stream can be trusted, so what waits on it
// fails and the next request reconnects. Every request, ApiVersions included, is reported to the
// optional instrumentation as kafkajs's network events report it.
//
// Ownership: a BrokerConnection owns its socket, that socket's frame reader and the table of
// in-flight requests.
import { type Socket, connect as tcpConnect } from "node:net";
import { type ApiDefinition, Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { type FrameLimits, FrameReader } from "../../protocol/frame-reader.ts";
import { decodeResponse, encodeRequest } from "../../protocol/headers.ts";
import { decodeAllowanceFor, Reader } from "../../protocol/primitives.ts";
import { decode } from "../../protocol/schema.ts";
import {
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSServerDoesNotSupportApiKey,
} from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RequestDescription, RequestEvent, RequestQueueSizeEvent, SASLOptions } from "../types.ts";
import { authenticate } from "./sasl/authenticate.ts";

/** What one read takes when it is not going straight into a response's buffer. */
const READ_SCRATCH_BYTES = 64 * 1024;

export type NetworkEventKind = "request" | "request_timeout" | "request_queue_size";

/**
 * Where a connection reports its requests: kafkajs's REQUEST, REQUEST_TIMEOUT and
 * REQUEST_QUEUE_SIZE payloads. `listens` is asked first, so nobody listening costs no payload.
 */
export interface NetworkInstrumentation {
  listens(kind: NetworkEventKind): boolean;
  request(payload: RequestEvent["payload"]): void;
  requestTimeout(payload: RequestDescription): void;
  requestQueueSize(payload: RequestQueueSizeEvent["payload"]): void;
}

export interface BrokerConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  connectionTimeout: number;
  requestTimeout: number;
  logger: Logger;
  instrumentation?: NetworkInstrumentation;
  /** Authenticates every connection with these, as kafkajs's `sasl` option. */
  sasl?: SASLOptions;
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
  // biome-ignore lint/suspicious/noExplicitAny: any API's definition: request and response types vary per entry
  api: ApiDefinition<any, any>;
  version: number;
  correlationId: number;
  createdAt: number;
  sentAt: number;
  decodeBody(payload: Buffer): unknown;
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

/**
 * Every response starts with its correlation id; a size prefix beyond 1 GiB is a corrupt stream,
 * not a frame to allocate. A response that spans chunks gets one buffer of its announced size up
 * to 16 MiB (a default Fetch answers up to 10 MiB); a larger one is kept as its bytes come, so a
 * garbage prefix alone never makes the client allocate a gigabyte.
 */
export const RESPONSE_FRAME_LIMITS: FrameLimits = { minSize: 4, maxSize: 1 << 30, preallocateUpTo: 16 << 20 };

/** Timed-out requests whose late answers are still let through; past this many the oldest are forgotten. */
const MAX_LATE_ANSWERS = 1024;

export class BrokerConnection {
  private socket: Socket | undefined;
  private connecting: Promise<void> | undefined;
  private readonly inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 0;
  /** Requests waiting for the connection to open before they can be written. */
  private waitingToSend = 0;
  /**
   * Correlation ids of requests that timed out on the current socket. Brokers answer in order, so
   * these are the only answers nobody waits for; any other unknown id means a corrupt stream.
   */
  private readonly lateAnswers = new Set<number>();
  private versions = new Map<number, VersionRange>();

  constructor(private readonly options: BrokerConnectionOptions) {}

  get host(): string {
    return this.options.host;
  }

  get port(): number {
    return this.options.port;
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get isConnected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && this.connecting === undefined;
  }

  /** Connects (once; concurrent callers share the attempt) and negotiates API versions. */
  connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** The version to use for `api`: the highest both sides implement, up to `ceiling` (the client's cap unless given). */
  // biome-ignore lint/suspicious/noExplicitAny: any API's definition: request and response types vary per entry
  versionFor(api: ApiDefinition<any, any>, ceiling: number = api.clientMaxVersion): number {
    const broker = this.versions.get(api.apiKey);
    const version = broker ? Math.min(broker.maxVersion, ceiling, api.maxVersion) : -1;
    if (!broker || version < Math.max(broker.minVersion, api.minVersion)) {
      throw new KafkaJSServerDoesNotSupportApiKey(
        `broker ${this.address} does not support ${api.name} at versions ${api.minVersion}-${api.clientMaxVersion}`,
        api.apiKey,
        api.name,
      );
    }
    return version;
  }

  async request<Req, Res>(api: ApiDefinition<Req, Res>, body: Req, options: RequestOptions = {}): Promise<Res> {
    if (this.isConnected) return this.send(api, options.version ?? this.versionFor(api), body, options);
    const createdAt = Date.now();
    this.changeWaitingToSend(+1);
    try {
      await this.connect();
    } finally {
      this.changeWaitingToSend(-1);
    }
    return this.send(api, options.version ?? this.versionFor(api), body, options, undefined, createdAt);
  }

  disconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.failAll(
      new KafkaJSConnectionClosedError("Connection closed by the client", this.options.host, this.options.port),
    );
  }

  private async open(): Promise<void> {
    const { host, port, connectionTimeout } = this.options;
    // Set once the socket is connected; nothing is read before.
    let frames!: FrameReader;
    // Reads go straight into the buffer of a large response being assembled (the bulk of fetched
    // data is then never copied); other reads land in one reused scratch buffer, out of which the
    // frame reader copies what it keeps.
    const scratch = Buffer.allocUnsafe(READ_SCRATCH_BYTES);
    const onread = {
      buffer: (): Buffer => frames?.directTarget() ?? scratch,
      callback: (bytes: number, buf: Uint8Array): boolean => {
        if (buf === scratch) frames.push(scratch.subarray(0, bytes), true);
        else frames.filledDirectly(bytes);
        return true;
      },
    };
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host, port, onread });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new KafkaJSConnectionError(`Connection timeout to ${host}:${port}`, { broker: this.address }));
      }, connectionTimeout);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new KafkaJSConnectionError(`Connection error: ${err.message}`, {
            broker: this.address,
            code: err.code,
            cause: err,
          }),
        );
      });
    });
    socket.setNoDelay(true);
    frames = new FrameReader(
      RESPONSE_FRAME_LIMITS,
      (frame) => this.deliver(socket, frame),
      (size) =>
        this.abandon(
          socket,
          new KafkaJSConnectionError(`Response from ${this.address} announces an impossible size of ${size} bytes`, {
            broker: this.address,
          }),
        ),
    );
    // A broker writes whole responses: one that stopped halfway, with no traffic for a whole
    // request timeout, will not go on, and every later answer would queue behind it.
    socket.setTimeout(this.options.requestTimeout);
    socket.on("timeout", () => {
      if (!frames.midFrame) return;
      this.abandon(
        socket,
        new KafkaJSConnectionError(
          `Response from ${this.address} stopped in the middle of a frame for ${this.options.requestTimeout} ms`,
          { broker: this.address },
        ),
      );
    });
    socket.on("error", (err) =>
      this.options.logger.debug("connection error", { broker: this.address, error: err.message }),
    );
    socket.on("close", () => {
      // A socket replaced already (disconnect, then a reconnect) has nothing left here to fail.
      if (this.socket !== socket) return;
      this.socket = undefined;
      const midResponse = frames.midFrame ? " in the middle of a response" : "";
      this.failAll(new KafkaJSConnectionClosedError(`Connection to ${this.address} closed${midResponse}`, host, port));
    });
    this.lateAnswers.clear();
    this.socket = socket;
    try {
      await this.negotiateVersions();
      if (this.options.sasl) await this.authenticate(this.options.sasl);
    } catch (error) {
      // Without versions or authentication the connection is of no use: the next request starts over.
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
      throw error;
    }
  }

  /** Asks with ApiVersions v3 and steps down on UNSUPPORTED_VERSION, reading the v0 layout it then gets. */
  private async negotiateVersions(): Promise<void> {
    for (const version of [3, 2, 1, 0]) {
      const response = await this.send(
        Apis.ApiVersions,
        version,
        { clientSoftwareName: "points-ledger-kafka-client", clientSoftwareVersion: "0.1.0" },
        {},
        (payload) => {
          // An error 35 answer comes in the v0 body layout whatever version was asked.
          const reader = new Reader(payload, 4, decodeAllowanceFor(payload.length));
          const peekedError = payload.length >= 6 ? payload.readInt16BE(4) : 0;
          return peekedError === ErrorCode.UNSUPPORTED_VERSION
            ? decode(Apis.ApiVersions.responseSchema, 0, reader)
            : decodeResponse(Apis.ApiVersions, version, payload).body;
        },
      );
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) continue;
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaJSProtocolError(response.errorCode);
      this.versions = new Map(
        response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]),
      );
      return;
    }
    throw new KafkaJSConnectionError(`broker ${this.address} answers no ApiVersions version`, { broker: this.address });
  }

  private authenticate(sasl: SASLOptions): Promise<void> {
    return authenticate(
      {
        address: this.address,
        handshake: (mechanism) => this.send(Apis.SaslHandshake, this.versionFor(Apis.SaslHandshake), { mechanism }, {}),
        authenticate: (authBytes) =>
          this.send(Apis.SaslAuthenticate, this.versionFor(Apis.SaslAuthenticate), { authBytes }, {}),
      },
      sasl,
    );
  }

  private send<Req, Res>(
    api: ApiDefinition<Req, Res>,
    version: number,
    body: Req,
    options: RequestOptions,
    decodeBody: (payload: Buffer) => unknown = (payload) => decodeResponse(api, version, payload).body,
    createdAt?: number,
  ): Promise<Res> {
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      return Promise.reject(
        new KafkaJSConnectionClosedError(`Not connected to ${this.address}`, this.options.host, this.options.port),
      );
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const frame = encodeRequest(api, version, correlationId, this.options.clientId, body);
    const sentAt = Date.now();
    if (options.expectResponse === false) {
      this.write(socket, frame);
      // As kafkajs: a request without a response counts as answered once written, with size 0.
      if (this.options.instrumentation?.listens("request")) {
        this.options.instrumentation.request({
          ...this.describe({ api, version, correlationId, createdAt: createdAt ?? sentAt, sentAt }),
          duration: 0,
          size: 0,
        });
      }
      return Promise.resolve(undefined as Res);
    }
    return new Promise<Res>((resolve, reject) => {
      const timeoutMs = this.options.requestTimeout + (options.extraTimeout ?? 0);
      const timer = setTimeout(() => {
        this.inFlight.delete(correlationId);
        this.expectLateAnswer(correlationId);
        const description = this.describe(waiting);
        reject(
          new KafkaJSRequestTimeoutError(
            `Request ${api.name}(key: ${api.apiKey}, version: ${version}) timed out`,
            description,
          ),
        );
        if (this.options.instrumentation?.listens("request_timeout"))
          this.options.instrumentation.requestTimeout(description);
      }, timeoutMs);
      const waiting: InFlight = {
        api,
        version,
        correlationId,
        createdAt: createdAt ?? sentAt,
        sentAt,
        decodeBody,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer,
      };
      this.inFlight.set(correlationId, waiting);
      this.write(socket, frame);
    });
  }

  private describe({
    api,
    version,
    correlationId,
    createdAt,
    sentAt,
  }: Pick<InFlight, "api" | "version" | "correlationId" | "createdAt" | "sentAt">): RequestDescription {
    return {
      apiKey: api.apiKey,
      apiName: api.name,
      apiVersion: version,
      broker: this.address,
      clientId: this.options.clientId,
      correlationId,
      createdAt,
      sentAt,
      pendingDuration: sentAt - createdAt,
    };
  }

  private changeWaitingToSend(delta: number): void {
    this.waitingToSend += delta;
    if (this.options.instrumentation?.listens("request_queue_size")) {
      this.options.instrumentation.requestQueueSize({
        broker: this.address,
        clientId: this.options.clientId,
        queueSize: this.waitingToSend,
      });
    }
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

  /** `payload` is the frame after its length prefix: correlation id, then header and body. */
  private deliver(socket: Socket, payload: Buffer): void {
    // The rest of a chunk whose earlier frame was corrupt: that stream is given up.
    if (this.socket !== socket) return;
    const correlationId = payload.readInt32BE(0);
    const waiting = this.inFlight.get(correlationId);
    if (!waiting) {
      if (this.lateAnswers.delete(correlationId)) return; // its request timed out already
      this.abandon(
        socket,
        new KafkaJSConnectionError(
          `Response from ${this.address} has correlation id ${correlationId}, which no request is waiting for`,
          { broker: this.address },
        ),
      );
      return;
    }
    this.inFlight.delete(correlationId);
    clearTimeout(waiting.timer);
    try {
      waiting.resolve(waiting.decodeBody(payload));
    } catch (err) {
      const { api, version } = waiting;
      const error = new KafkaJSConnectionError(
        `Malformed response to ${api.name}(key: ${api.apiKey}, version: ${version}) from ${this.address}: ${(err as Error).message}`,
        { broker: this.address, cause: err },
      );
      waiting.reject(error);
      this.abandon(socket, error);
    }
    if (this.options.instrumentation?.listens("request")) {
      this.options.instrumentation.request({
        ...this.describe(waiting),
        duration: Date.now() - waiting.sentAt,
        size: payload.length,
      });
    }
  }

  private expectLateAnswer(correlationId: number): void {
    this.lateAnswers.add(correlationId);
    // Sets iterate in insertion order: the first is the oldest.
    if (this.lateAnswers.size > MAX_LATE_ANSWERS) this.lateAnswers.delete(this.lateAnswers.values().next().value!);
  }

  /** After an answer no broker sends, the stream cannot be followed: everything waiting on it fails with `error`. */
  private abandon(socket: Socket, error: KafkaJSConnectionError): void {
    if (this.socket !== socket) return;
    this.options.logger.warn("closing connection: its responses cannot be followed", {
      broker: this.address,
      error: error.message,
    });
    this.socket = undefined;
    socket.destroy();
    this.failAll(error);
  }

  private failAll(error: Error): void {
    for (const waiting of this.inFlight.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.inFlight.clear();
  }
}
