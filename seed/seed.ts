// `npm run seed [-- --users N --stores N]`: demo stores, terminals and users, with opening balances
// sent to the ledger as charge commands. Needs the broker running (`npm start` runs one).
import { parseArgs } from "node:util";
import { type Cli, cli } from "../apps/shared/cli.ts";
import { ConfigError, loadConfig } from "../apps/shared/config.ts";
import { seedDemo } from "./seed-demo.ts";

const usage: Cli = cli("seed");
const integer: Cli["integer"] = usage.integer;
const optional = (name: string, raw: string | undefined) => (raw === undefined ? undefined : integer(name, raw, 0));

try {
  const { values } = parseArgs({ options: { users: { type: "string" }, stores: { type: "string" } }, strict: true });
  const config = loadConfig();
  const result = await seedDemo(config, {
    users: optional("users", values.users),
    stores: optional("stores", values.stores),
  });
  console.log(
    `seeded ${result.stores} stores, ${result.terminals} terminals, ${result.users} users; ${result.openingCommands} opening-balance commands sent to ${config.brokers.join(",")}`,
  );
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    `seed: ${error instanceof ConfigError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? message : `${message} (is the broker running? npm start runs one)`}`,
  );
  process.exit(1);
}
