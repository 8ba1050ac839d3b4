import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDb } from "../../../apps/shared/db/client.ts";
import { pointsCommandSchema } from "../../../apps/shared/topics.ts";
import type { Scenario } from "../../../seed/scenarios/scenario.ts";
import {
  COMMANDS_TOPIC,
  pointsCommand,
  seedUsers,
  startMember,
  userIds,
  waitUntil,
  withClients,
} from "../../../seed/scenarios/toolkit.ts";
import { runScenarioTest } from "../../helpers/scenario.ts";

describe("scenario toolkit", () => {
  it("when a condition holds after a while, then waitUntil resolves; when never, then it names what it waited for", async () => {
    let polls = 0;
    await waitUntil("three polls", () => ++polls >= 3);
    assert.equal(polls, 3);
    await assert.rejects(
      waitUntil(
        () => "the impossible",
        () => false,
        200,
      ),
      /timed out after 200 ms waiting for: the impossible/,
    );
    await assert.rejects(
      waitUntil(
        "a throwing condition",
        () => {
          throw new Error("not yet");
        },
        100,
      ),
      /waiting for: a throwing condition \(last error: not yet\)/,
    );
  });

  it("when commands are made for users, then they are valid points commands with the demo's user ids", () => {
    assert.deepEqual(userIds(3), ["user-0001", "user-0002", "user-0003"]);
    const command = pointsCommand("user-0002", 7, "deduct", 300);
    assert.equal(pointsCommandSchema.parse(command).commandId, "user-0002-cmd-7");
  });

  it("when a scenario seeds users and starts a member, then the users are in its SQLite file and their opening commands are read", async () => {
    const scenario: Scenario = {
      name: "toolkit",
      number: 98,
      title: { en: "toolkit", ko: "toolkit" },
      concept: { en: "test", ko: "test" },
      brokers: 1,
      async run(context) {
        const seeded = await seedUsers(context.system, 5, 2);
        const db = createDb(context.system.databaseUrl);
        try {
          context.check(seeded.users === 5 && (await db.user.count()) === 5, { en: "5 users", ko: "5 users" });
        } finally {
          await db.$disconnect();
        }
        await withClients(context.system, async (clients) => {
          const member = await startMember(clients, "reader", "toolkit", COMMANDS_TOPIC);
          await waitUntil("5 opening commands", () => member.seen.length >= 5);
          context.check(
            member.assigned.length === 2 && member.seen.every((r) => r.key?.startsWith("user-")),
            { en: "keyed opening commands on 2 partitions", ko: "keyed opening commands on 2 partitions" },
            `[${member.assigned}]`,
          );
        });
      },
    };
    await runScenarioTest(scenario);
  });
});
