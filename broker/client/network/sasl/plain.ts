// The client's side of SASL/PLAIN: the user and password in one message; the server's empty
// answer ends it.
import { encodePlain } from "../../../protocol/sasl/plain.ts";
import type { SaslConversation } from "./authenticate.ts";

export function plainConversation(username: string, password: string): SaslConversation {
  let sent = false;
  return {
    async respond() {
      if (sent) return null;
      sent = true;
      return encodePlain({ username, password });
    },
  };
}
