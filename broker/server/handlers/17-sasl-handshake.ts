// SaslHandshake (17): the client names its SASL mechanism. The connection's authenticator
// (security/sasl-authenticator.ts) answers; on a PLAINTEXT listener, or once authenticated, the
// answer is ILLEGAL_SASL_STATE, as Kafka's.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const saslHandshakeHandler = defineHandler(Apis.SaslHandshake, (request, { sasl, apiVersion }) =>
  sasl === undefined
    ? { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    : sasl.handshake(request.mechanism, apiVersion),
);
