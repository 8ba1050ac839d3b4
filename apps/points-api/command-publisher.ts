// Where accepted commands go: points.commands (or the topic COMMANDS_TOPIC names), keyed by userId
// so one user's commands share a partition and are applied in order. The app depends on the
// interface; server.ts wires a producer.
import type { KafkaClient } from "../../broker/client/factory.ts";
import { AppError } from "../shared/errors.ts";
import { COMMANDS_TOPIC, type PointsCommand, pointsCommandSchema } from "../shared/topics.ts";

export interface PublishedAt {
  partition: number;
  offset: string;
}

export interface CommandPublisher {
  /** Resolves once the broker has the command on all in-sync replicas; rejects with a 503 AppError otherwise. */
  publish(command: PointsCommand): Promise<PublishedAt>;
}

type Producer = ReturnType<KafkaClient["producer"]>;

export function createKafkaCommandPublisher(
  producer: Producer,
  keyBy: "userId" | "none" = "userId",
  topic: string = COMMANDS_TOPIC,
): CommandPublisher {
  return {
    async publish(command) {
      // The value is the contract with the ledger: never send one it would refuse.
      const value = JSON.stringify(pointsCommandSchema.parse(command));
      let metadata: Awaited<ReturnType<typeof producer.send>>;
      try {
        metadata = await producer.send({
          topic,
          acks: -1,
          messages: [{ key: keyBy === "userId" ? command.userId : null, value }],
        });
      } catch (error) {
        throw AppError.unavailable(
          `broker unavailable: the command was not written to ${topic}, try again (${error instanceof Error ? error.message : String(error)})`,
          error,
        );
      }
      const [written] = metadata;
      const offset = written?.baseOffset ?? written?.offset;
      if (written === undefined || offset === undefined)
        throw new Error(`the broker's answer for ${topic} carries no offset`);
      return { partition: written.partition, offset };
    },
  };
}
