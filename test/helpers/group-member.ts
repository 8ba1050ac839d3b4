// A kafkajs-API group member in its own process, so a test can SIGKILL it like a crashed consumer.
// Usage: node --import tsx group-member.ts ADDRESS GROUP TOPIC SESSION_TIMEOUT_MS [KIND]
//   without KIND: a kafkajs consumer built directly (the acceptance suite's member);
//   KIND kafkajs|ours: a client of that kind from the app-facing factory, with the conformance
//   suite's quick consumer settings.
// Prints one JSON object per line: {"event":"assignment","partitions":[...]} after each join,
// {"event":"message","partition":p,"offset":"o","value":"..."} per message, {"event":"crash"}.
import { type Consumer, Kafka, logLevel } from "kafkajs";

const [address, groupId, topic, sessionTimeout, kind] = process.argv.slice(2);
if (
  !address ||
  !groupId ||
  !topic ||
  !sessionTimeout ||
  (kind !== undefined && kind !== "kafkajs" && kind !== "ours")
) {
  process.stderr.write("usage: group-member.ts ADDRESS GROUP TOPIC SESSION_TIMEOUT_MS [kafkajs|ours]\n");
  process.exit(2);
}

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

async function createConsumer(): Promise<Consumer> {
  if (kind === undefined) {
    const kafka = new Kafka({ clientId: "group-member-child", brokers: [address!], logLevel: logLevel.NOTHING });
    return kafka.consumer({
      groupId: groupId!,
      sessionTimeout: Number(sessionTimeout),
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 250,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }
  // Loaded only for the conformance member, so the plain one stays a bare kafkajs process.
  const { kafkaFor, quickConsumerConfig } = await import("../conformance/helpers.ts");
  const kafka = await kafkaFor(kind as "kafkajs" | "ours", address!, `conformance-child-${kind}`);
  return kafka.consumer(quickConsumerConfig(groupId!, { sessionTimeout: Number(sessionTimeout) }));
}

const consumer = await createConsumer();
consumer.on(consumer.events.GROUP_JOIN, (event) => {
  print({ event: "assignment", partitions: [...(event.payload.memberAssignment[topic!] ?? [])].sort((a, b) => a - b) });
});
consumer.on(consumer.events.CRASH, (event) => {
  print({ event: "crash", error: String(event.payload.error) });
});

await consumer.connect();
await consumer.subscribe({ topics: [topic!], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    print({ event: "message", partition, offset: message.offset, value: message.value?.toString() ?? "" });
  },
});
print({ event: "running" });
