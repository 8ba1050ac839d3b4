// The client's side of SCRAM-SHA-256/512 (RFC 5802): client-first with a fresh nonce; from the
// server-first its salt and iteration count give the salted password (PBKDF2, off the event loop)
// and the proof of client-final; the server-final's signature proves the server knows the
// credential too, and is checked before the connection is used.
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  authMessageOf,
  clientFinalWithoutProof,
  clientProof,
  credentialOf,
  formatClientFinal,
  formatClientFirst,
  MAX_SCRAM_ITERATIONS,
  MIN_SCRAM_ITERATIONS,
  parseServerFinal,
  parseServerFirst,
  type ScramMechanism,
  saltPassword,
  serverSignature,
} from "../../../protocol/sasl/scram.ts";
import type { SaslConversation } from "./authenticate.ts";

const GS2_HEADER = "n,,";

export function scramConversation(
  mechanism: ScramMechanism,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString("base64"),
): SaslConversation {
  const clientFirst = formatClientFirst(username, nonce);
  let step: "first" | "final" | "verify" | "done" = "first";
  let expectedSignature: Buffer | undefined;

  return {
    async respond(serverMessage) {
      switch (step) {
        case "first":
          step = "final";
          return Buffer.from(clientFirst.message, "utf8");
        case "final": {
          step = "verify";
          const serverFirstText = (serverMessage ?? Buffer.alloc(0)).toString("utf8");
          const serverFirst = parseServerFirst(serverFirstText);
          if (!serverFirst.nonce.startsWith(nonce) || serverFirst.nonce.length <= nonce.length)
            throw new Error("server nonce does not extend the client's");
          if (serverFirst.iterations < MIN_SCRAM_ITERATIONS || serverFirst.iterations > MAX_SCRAM_ITERATIONS)
            throw new Error(
              `server asks for ${serverFirst.iterations} iterations, outside ${MIN_SCRAM_ITERATIONS}-${MAX_SCRAM_ITERATIONS}`,
            );
          const salted = await saltPassword(mechanism, password, serverFirst.salt, serverFirst.iterations);
          const withoutProof = clientFinalWithoutProof(GS2_HEADER, serverFirst.nonce);
          const authMessage = authMessageOf(clientFirst.bare, serverFirstText, withoutProof);
          const { serverKey } = credentialOf(mechanism, salted, serverFirst.salt, serverFirst.iterations);
          expectedSignature = serverSignature(mechanism, serverKey, authMessage);
          return Buffer.from(formatClientFinal(withoutProof, clientProof(mechanism, salted, authMessage)), "utf8");
        }
        case "verify": {
          step = "done";
          const serverFinal = parseServerFinal((serverMessage ?? Buffer.alloc(0)).toString("utf8"));
          if ("error" in serverFinal) throw new Error(`server refused: ${serverFinal.error}`);
          const signature = expectedSignature!;
          if (serverFinal.verifier.length !== signature.length || !timingSafeEqual(serverFinal.verifier, signature))
            throw new Error("the server's signature does not match: it does not know this user's credential");
          return null;
        }
        default:
          return null;
      }
    },
  };
}
