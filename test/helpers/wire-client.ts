// A minimal Kafka wire client for tests that need exact control over requests (versions, bytes,
// acks=0, pipelining): it frames requests with broker/protocol and matches responses in order.
// `useWireClient` keeps one open for a whole describe block.
import { connect, type Socket } from "node:net";
import { after, before } from "node:test";
import { type ApiDefinition, Apis } from "../../broker/protocol/apis.ts";
import { decodeResponse, encodeRequest } from "../../broker/protocol/headers.ts";

interface Waiting {
  decodeBody: (payload: Buffer) => unknown;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

export class WireClient {
  private nextCorrelationId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private buffered = Buffer.alloc(0);
  private closedError: Error | null = null;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    // A request is written in several chunks: with Nagle's algorithm on, the second waits for the
    // first's ACK, which loopback delays up to 40 ms.
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.closedError = new Error("connection closed by the broker");
        for (const w of this.waiting.values()) w.reject(this.closedError);
        this.waiting.clear();
        resolve();
      }),
    );
    socket.on("error", () => {});
  }

  /** Whether the broker (or `close`) has closed the connection. */
  get isClosed(): boolean {
    return this.closedError !== null;
  }

  static async connect(address: string): Promise<WireClient> {
    const [host, port] = address.split(":");
    const socket = connect(Number(port), host!);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new WireClient(socket);
  }

  /** Sends a request and resolves with the decoded response body. */
  request<Req, Res>(api: ApiDefinition<Req, Res>, version: number, body: Req): Promise<Res> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const response = new Promise<Res>((resolve, reject) => {
      this.waiting.set(correlationId, {
        decodeBody: (payload) => decodeResponse(api, version, payload).body,
        resolve: resolve as (body: unknown) => void,
        reject,
      });
    });
    this.send(api, version, body, correlationId);
    return response;
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendOnly<Req, Res>(api: ApiDefinition<Req, Res>, version: number, body: Req): void {
    this.send(api, version, body, this.nextCorrelationId++);
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private send<Req, Res>(api: ApiDefinition<Req, Res>, version: number, body: Req, correlationId: number): void {
    for (const chunk of encodeRequest(api, version, correlationId, "wire-test", body)) this.socket.write(chunk);
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const payload = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = payload.readInt32BE(0);
      const waiting = this.waiting.get(correlationId);
      if (!waiting) throw new Error(`response with unexpected correlation id ${correlationId}`);
      this.waiting.delete(correlationId);
      try {
        waiting.resolve(waiting.decodeBody(payload));
      } catch (err) {
        waiting.reject(err as Error);
      }
    }
  }
}

/** What a test does with a WireClient. */
export type WireConnection = Pick<
  WireClient,
  "socket" | "closed" | "isClosed" | "request" | "sendOnly" | "writeRaw" | "close"
>;

/**
 * For a describe block: a connection to `broker` opened before its tests (after the broker has
 * started) and closed after them; the handle stands for it.
 */
export function useWireClient(broker: { readonly address: string }): WireConnection {
  let opened: WireClient | undefined;
  before(async () => {
    opened = await WireClient.connect(broker.address);
  });
  after(() => opened?.close());
  const client = (): WireClient => {
    if (opened === undefined) throw new Error("the suite's wire client has not connected");
    return opened;
  };
  return {
    get socket() {
      return client().socket;
    },
    get closed() {
      return client().closed;
    },
    get isClosed() {
      return client().isClosed;
    },
    request: (api, version, body) => client().request(api, version, body),
    sendOnly: (api, version, body) => client().sendOnly(api, version, body),
    writeRaw: (bytes) => client().writeRaw(bytes),
    close: () => client().close(),
  };
}

/** One request to the broker at `address`, over a connection of its own. */
export async function requestOnce<Req, Res>(
  address: string,
  api: ApiDefinition<Req, Res>,
  version: number,
  body: Req,
): Promise<Res> {
  const client = await WireClient.connect(address);
  try {
    return await client.request(api, version, body);
  } finally {
    client.close();
  }
}

/** The broker `address` names as the coordinator of `groupId` (FindCoordinator v2; -1 while none is available). */
export async function coordinatorNamedBy(
  address: string,
  groupId: string,
): Promise<{ errorCode: number; nodeId: number }> {
  const { errorCode, nodeId } = await requestOnce(address, Apis.FindCoordinator, 2, { key: groupId, keyType: 0 });
  return { errorCode, nodeId };
}
