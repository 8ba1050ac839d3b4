// `npm run new:service`: a service generated into a scratch checkout (its shared code, broker,
// node_modules and test helpers linked to this repository's) typechecks and passes its own
// generated test, so a new service made from the template really receives events; bad names are
// refused with one line (exit 2, bad usage; exit 1 when the name is taken) and nothing written.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type FinishedCommand, runCommand, runScript } from "../helpers/command.ts";
import { useScratchDirs } from "../helpers/scratch-dirs.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const generator = join(repoRoot, "apps", "new-service.ts");

/** What the generated code reaches outside its own files. */
const linkedFromRepo = ["apps/shared", "broker", "node_modules", "test/helpers", "package.json"];

const newService = (args: string[]) => runScript(generator, args);

/** Makes `root` an empty checkout: apps/ and test/ with the repository's shared parts linked in. */
function asScratchCheckout(root: string): string {
  mkdirSync(join(root, "apps"));
  for (const entry of linkedFromRepo) {
    mkdirSync(dirname(join(root, entry)), { recursive: true });
    symlinkSync(join(repoRoot, entry), join(root, entry));
  }
  return root;
}

/** Every file under `dir`, relative to it, not following links. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = join(prefix, entry.name);
    if (entry.isSymbolicLink()) return [];
    return entry.isDirectory() ? filesUnder(dir, relative) : [relative];
  });
}

describe("npm run new:service", () => {
  const scratchDir = useScratchDirs("new-service-");
  const newRoot = () => asScratchCheckout(scratchDir());

  describe("when a service is generated", () => {
    let root: string;
    let generated: FinishedCommand;

    before(async () => {
      root = newRoot();
      generated = await newService(["loyalty-mailer", "--root", root]);
    });

    it("then it writes service.ts, main.ts and a test, and prints them with the next steps", () => {
      assert.equal(generated.code, 0, generated.stderr);
      assert.deepEqual(filesUnder(root).sort(), [
        "apps/loyalty-mailer/main.ts",
        "apps/loyalty-mailer/service.ts",
        "test/apps/loyalty-mailer/service.test.ts",
      ]);
      for (const file of filesUnder(root)) {
        assert.match(generated.stdout, new RegExp(`^  ${file}$`, "m"));
        assert.doesNotMatch(
          readFileSync(join(root, file), "utf8"),
          /__SERVICE_NAME__/,
          `${file} has no placeholder left`,
        );
      }
      assert.match(generated.stdout, /npm run svc -- loyalty-mailer/);
      assert.match(generated.stdout, /npx tsx --test test\/apps\/loyalty-mailer\/service\.test\.ts/);
      const service = readFileSync(join(root, "apps/loyalty-mailer/service.ts"), "utf8");
      assert.match(service, /groupId: "loyalty-mailer"/);
      assert.match(service, /Your logic goes here/);
    });

    it("then the generated files typecheck against the repository's code", { timeout: 60_000 }, async () => {
      writeFileSync(
        join(root, "tsconfig.json"),
        JSON.stringify({
          extends: join(repoRoot, "tsconfig.json"),
          include: ["apps/loyalty-mailer", "test/apps/loyalty-mailer"],
        }),
      );
      const typecheck = await runCommand(
        process.execPath,
        [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", root],
        { cwd: root },
      );
      assert.equal(typecheck.code, 0, typecheck.stdout + typecheck.stderr);
    });

    it("then its generated test starts a broker and the service, produces an event, and passes", {
      timeout: 120_000,
    }, async () => {
      const test = await runCommand(
        process.execPath,
        ["--import", "tsx", "--test", "test/apps/loyalty-mailer/service.test.ts"],
        { cwd: root },
      );
      assert.equal(test.code, 0, test.stdout + test.stderr);
      assert.match(test.stdout, /^# pass 1$/m);
      assert.match(test.stdout, /^# fail 0$/m);
    });
  });

  describe("when the name cannot be a new service", () => {
    const refusals: Array<[string, string[], RegExp]> = [
      ["no name", [], /^new:service: which name\? usage: npm run new:service -- <name>/],
      ["upper case", ["Loyalty"], /"Loyalty" is not a service name: use lowercase kebab-case/],
      ["an underscore", ["loyalty_mailer"], /"loyalty_mailer" is not a service name/],
      ["a leading hyphen", ["-x"], /^new:service: /],
      ["a trailing hyphen", ["mailer-"], /"mailer-" is not a service name/],
      ["a double hyphen", ["loyalty--mailer"], /"loyalty--mailer" is not a service name/],
      ["a leading digit", ["2fa"], /"2fa" is not a service name/],
      ["a path", ["../evil"], /"\.\.\/evil" is not a service name/],
      ["the shared folder", ["shared"], /"shared" is reserved/],
      ["the templates folder", ["templates"], /"templates" is reserved/],
      ["two names", ["one", "two"], /unexpected arguments: two/],
    ];
    for (const [what, args, message] of refusals) {
      it(`when it is ${what}, then one line says why, the exit code is 2 (bad usage) and nothing is written`, async () => {
        const root = newRoot();
        const result = await newService([...args, "--root", root]);
        assert.equal(result.code, 2);
        assert.match(result.stderr, message);
        assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
        assert.equal(result.stdout, "");
        assert.deepEqual(filesUnder(root), []);
      });
    }

    it("when apps/<name> already exists, then it is refused and the folder left alone", async () => {
      const root = newRoot();
      mkdirSync(join(root, "apps", "ledger"));
      writeFileSync(join(root, "apps", "ledger", "main.ts"), "// the ledger\n");
      const result = await newService(["ledger", "--root", root]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, "new:service: apps/ledger already exists\n");
      assert.deepEqual(filesUnder(root), ["apps/ledger/main.ts"]);
    });

    it("when only its test file already exists, then it is refused and nothing is written", async () => {
      const root = newRoot();
      mkdirSync(join(root, "test", "apps", "mailer"), { recursive: true });
      writeFileSync(join(root, "test", "apps", "mailer", "service.test.ts"), "// kept\n");
      const result = await newService(["mailer", "--root", root]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, "new:service: test/apps/mailer/service.test.ts already exists\n");
      assert.equal(existsSync(join(root, "apps", "mailer")), false);
    });

    it("when --root is not a checkout, then it is refused", async () => {
      const root = scratchDir();
      const result = await newService(["mailer", "--root", root]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^new:service: .* has no apps\/ folder/);
      assert.deepEqual(readdirSync(root), []);
    });
  });
});
