// `npm run seed [-- --users N --stores N]`: demo stores, terminals and users, with opening balances
// sent to the ledger as charge commands. Needs the broker running (`npm start` runs one).
import { createCli, environmentHelp, integerOption } from "../apps/shared/cli.ts";
import { ConfigError, loadConfig } from "../apps/shared/config.ts";
import { demoStores, demoUsers } from "./demo-data.ts";
import { seedDemo } from "./seed-demo.ts";

const program = createCli(
  "seed",
  "Writes the demo's stores, terminals and users (idempotent) and sends their opening balances to the ledger. Needs the broker running (npm start runs one).",
);
program
  .option("--users <n>", "demo users to write", integerOption(program, "users"), demoUsers().length)
  .option(
    "--stores <n>",
    "demo stores to write, two terminals each",
    integerOption(program, "stores"),
    demoStores().length,
  )
  .addHelpText("after", environmentHelp)
  .parse();
const { users, stores } = program.opts<{ users: number; stores: number }>();

try {
  const config = loadConfig();
  const result = await seedDemo(config, { users, stores });
  console.log(
    `seeded ${result.stores} stores, ${result.terminals} terminals, ${result.users} users; ${result.openingCommands} opening-balance commands sent to ${config.brokers.join(",")}`,
  );
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    `seed: ${error instanceof ConfigError ? message : `${message} (is the broker running? npm start runs one)`}`,
  );
  process.exit(1);
}
