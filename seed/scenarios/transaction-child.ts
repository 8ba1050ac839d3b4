// A producer process for scenario 21 (catalog/transactions.ts): it opens a transaction, sends its
// records in it, prints "sent" and waits, never committing, until the scenario kills it.
// Usage: transaction-child.ts <bootstrap,...> <topic> <transactional id> <value>...
import { Kafka, logLevel } from "../../broker/client/index.ts";

const [bootstrap, topic, transactionalId, ...values] = process.argv.slice(2);
if (!bootstrap || !topic || !transactionalId || values.length === 0) {
  process.stderr.write("usage: transaction-child.ts <bootstrap> <topic> <transactional id> <value>...\n");
  process.exit(2);
}
const kafka = new Kafka({ clientId: "transaction-child", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const transaction = await producer.transaction();
await transaction.send({ topic, messages: values.map((value) => ({ key: "user-0001", value })) });
process.stdout.write("sent\n");
// Kept alive with its transaction open: the scenario's SIGKILL is the crash.
setInterval(() => undefined, 1 << 30);
