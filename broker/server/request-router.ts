// Turns one request frame into one response frame: reads the header, checks the API and version,
// decodes the body with the API's schema for that version, runs its handler, and encodes the
// answer with the matching response header. Counts each answered request and its time for the
// broker's metrics (the time to the answer, a long-polling fetch's wait included, as Kafka's;
// a Fetch also as FetchConsumer or FetchFollower, as Kafka tells them apart).
//
// On a SASL listener each connection's authenticator (security/) decides first: before
// authentication only the handshake's requests pass, anything else closes the connection, and a
// failed handshake or authentication is answered, then the connection is closed, as Kafka does.
import { ApiKeys, Apis, apiByKey, isSupportedVersion } from "../protocol/apis.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeResponse, peekApiKeyAndVersion, readRequestHeader } from "../protocol/headers.ts";
import type { FetchRequest } from "../protocol/messages/index.ts";
import { decode } from "../protocol/schema.ts";
import { isMetadataLogFetch } from "../raft/raft-messages.ts";
import type { BrokerState } from "./broker-state.ts";
import { type Connection, DropConnection, type FrameHandler, type ResponseFrame } from "./connection.ts";
import type { Handler, RequestContext } from "./handlers/handler.ts";
import { handlersByKey, supportedApiVersions } from "./handlers/index.ts";
import type { ListenerSecurity } from "./security/listener-security.ts";
import type { SaslAuthenticator } from "./security/sasl-authenticator.ts";

/** `listener`: the one the connections come in on; absent, a PLAINTEXT listener advertising the brokers' first endpoints. */
export function createRequestRouter(broker: BrokerState, listener?: ListenerSecurity): FrameHandler {
  return (frame: Buffer, connection: Connection): ResponseFrame | Promise<ResponseFrame> => {
    const sasl = listener?.authenticatorOf(connection);
    // After a v0 SaslHandshake the client sends bare SASL tokens, not requests.
    if (sasl?.expectsRawToken) return rawSaslAnswer(sasl, frame);
    if (frame.length < 8) throw new DropConnection(`request frame of ${frame.length} bytes is too short for a header`);
    const { apiKey, apiVersion } = peekApiKeyAndVersion(frame);
    const api = apiByKey(apiKey);
    const handler = handlersByKey.get(apiKey);
    if (!api || !handler) throw new DropConnection(`unsupported api key ${apiKey}`);
    const { header, bodyReader } = readRequestHeader(frame);

    if (!isSupportedVersion(apiKey, apiVersion)) {
      // Clients probe ApiVersions with their newest version and step down on error 35, reading
      // the answer in the v0 layout; any other unsupported version is a client bug.
      if (apiKey !== ApiKeys.ApiVersions)
        throw new DropConnection(`unsupported version ${apiVersion} of api ${api.name}`);
      return encodeResponse(
        Apis.ApiVersions,
        0,
        header.correlationId,
        supportedApiVersions(ErrorCode.UNSUPPORTED_VERSION),
      );
    }

    if (sasl && !sasl.admit(apiKey)) throw new DropConnection(`${api.name} request before SASL authentication`);

    const request = decode(api.requestSchema, apiVersion, bodyReader);
    const context = {
      broker,
      apiVersion,
      clientId: header.clientId ?? "",
      clientHost: connection.clientHost,
      listener: listener?.name,
      sasl,
      whenClosed: (onClose: () => void) => connection.whenClosed(onClose),
    };
    const metrics = broker.metrics;
    const startedAt = metrics ? performance.now() : 0;
    const respond = (body: unknown): ResponseFrame => {
      if (metrics) {
        const elapsedMs = performance.now() - startedAt;
        metrics.requestHandled(api.name, elapsedMs);
        if (apiKey === ApiKeys.Fetch)
          metrics.requestHandled(fromFollower(request) ? "FetchFollower" : "FetchConsumer", elapsedMs);
      }
      return body === null ? null : encodeResponse(api, apiVersion, header.correlationId, body);
    };
    // A broker still catching up would answer clients from an old image (a coordinator or leader
    // that moved while it was down): as Kafka opens its data plane only once caught up, their
    // requests wait; the quorum's, the controller's and the handshakes' are what catching up needs.
    if (broker.catchingUp && !neededToCatchUp(apiKey, request, apiVersion))
      return broker.catchingUp.then(() => answer(handler, request, context, respond, connection));
    return answer(handler, request, context, respond, connection);
  };
}

function answer(
  handler: Handler,
  request: unknown,
  context: RequestContext,
  respond: (body: unknown) => ResponseFrame,
  connection: Connection,
): ResponseFrame | Promise<ResponseFrame> {
  const result = handler.handle(request, context);
  if (context.sasl?.failed) connection.closeAfterResponses();
  return result instanceof Promise ? result.then(respond) : respond(result);
}

/** Requests a broker answers before it has caught up: handshakes, the quorum's and the controller's. */
const CATCH_UP_APIS: ReadonlySet<number> = new Set([
  ApiKeys.ApiVersions,
  ApiKeys.SaslHandshake,
  ApiKeys.SaslAuthenticate,
  ApiKeys.Vote,
  ApiKeys.BeginQuorumEpoch,
  ApiKeys.EndQuorumEpoch,
  ApiKeys.DescribeQuorum,
  ApiKeys.AlterPartition,
  ApiKeys.BrokerRegistration,
  ApiKeys.BrokerHeartbeat,
  ApiKeys.AllocateProducerIds,
]);

function neededToCatchUp(apiKey: number, request: unknown, apiVersion: number): boolean {
  if (CATCH_UP_APIS.has(apiKey)) return true;
  return apiKey === ApiKeys.Fetch && isMetadataLogFetch(request as FetchRequest, apiVersion);
}

/** The mechanism's answer to a bare token, size-prefixed; a refusal closes the connection unanswered, as Kafka's. */
function rawSaslAnswer(sasl: SaslAuthenticator, token: Buffer): ResponseFrame {
  let answer: Buffer;
  try {
    answer = sasl.rawToken(token);
  } catch (error) {
    throw new DropConnection(error instanceof Error ? error.message : String(error));
  }
  const size = Buffer.alloc(4);
  size.writeInt32BE(answer.length);
  return [size, answer];
}

/** A fetch that names a replica comes from a follower (a partition's, or a quorum voter's). */
function fromFollower(request: unknown): boolean {
  return ((request as { replicaId?: number }).replicaId ?? -1) >= 0;
}
