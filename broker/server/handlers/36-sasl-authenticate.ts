// SaslAuthenticate (36): one message of the mechanism's exchange, answered by the connection's
// authenticator (security/sasl-authenticator.ts). A refusal is SASL_AUTHENTICATION_FAILED with a
// message, after which the router closes the connection. On a PLAINTEXT listener the answer is
// ILLEGAL_SASL_STATE, as Kafka's.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const saslAuthenticateHandler = defineHandler(Apis.SaslAuthenticate, (request, { sasl }) =>
  sasl === undefined
    ? {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: "SaslAuthenticate request received on a listener without SASL",
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      }
    : sasl.authenticate(request.authBytes),
);
