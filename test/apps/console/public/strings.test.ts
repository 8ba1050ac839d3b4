import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";

// The page's modules are plain browser ES modules (no build step, no types): loaded as the browser does,
// each import with a query of its own so it is a fresh module that chooses its language again.
const publicDir = new URL("../../../../apps/console/public/", import.meta.url).pathname;
const stringsUrl = pathToFileURL(`${publicDir}strings.js`).href;
let loads = 0;

type Dictionary = Record<string, string>;
interface Strings {
  dictionaries: { en: Dictionary; ko: Dictionary };
  lang: string;
  t(key: string, vars?: Record<string, unknown>): string;
}

/** Loads strings.js as a page at `search` would, with `stored` as its localStorage. */
async function loadStrings(search: string, stored: Map<string, string>): Promise<Strings> {
  Object.assign(globalThis, {
    location: { search },
    localStorage: {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => stored.set(k, v),
    },
  });
  try {
    loads += 1;
    return (await import(`${stringsUrl}?load=${loads}`)) as Strings;
  } finally {
    Reflect.deleteProperty(globalThis, "location");
    Reflect.deleteProperty(globalThis, "localStorage");
  }
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the console's strings", () => {
  it("when a key has English words, then it has Korean ones too, with the same placeholders", async () => {
    const { dictionaries } = await loadStrings("", new Map());
    const missing = Object.keys(dictionaries.en).filter((key) => !dictionaries.ko[key]);
    assert.deepEqual(missing, [], "keys with no Korean");
    const strays = Object.keys(dictionaries.ko).filter((key) => !(key in dictionaries.en));
    assert.deepEqual(strays, [], "Korean keys English does not have");
    for (const [key, english] of Object.entries(dictionaries.en))
      assert.deepEqual(placeholders(dictionaries.ko[key]!), placeholders(english), key);
  });

  it("when the page or a view names a key, then English has it", async () => {
    const { dictionaries } = await loadStrings("", new Map());
    const named = new Set<string>();
    for (const file of readdirSync(publicDir).filter((f) => /\.(js|html)$/.test(f) && f !== "strings.js")) {
      const source = readFileSync(`${publicDir}${file}`, "utf8");
      for (const [, key] of source.matchAll(/\bt\("([\w.]+)"/g)) named.add(key!);
      for (const [, key] of source.matchAll(/data-i18n(?:-placeholder|-title)?="([\w.]+)"/g)) named.add(key!);
    }
    assert.ok(named.size > 50, `found only ${named.size} keys: the scan is broken`);
    assert.deepEqual(
      [...named].filter((key) => !(key in dictionaries.en)),
      [],
    );
  });

  it("when ?lang=ko is in the URL, then the words are Korean, placeholders filled, and the choice is remembered", async () => {
    const stored = new Map<string, string>();
    const strings = await loadStrings("?lang=ko", stored);
    assert.equal(strings.lang, "ko");
    assert.equal(strings.t("nav.groups"), "컨슈머 그룹");
    assert.equal(strings.t("broker.label", { id: 2 }), "브로커 2");
    assert.equal(stored.get("console.lang"), "ko");

    const later = await loadStrings("", stored);
    assert.equal(later.lang, "ko", "the remembered choice, with no ?lang=");
    const overridden = await loadStrings("?lang=en", stored);
    assert.equal(overridden.t("nav.groups"), "Groups");
    assert.equal(stored.get("console.lang"), "en");
  });

  it("when nothing was chosen or the choice is unknown, then the words are English", async () => {
    assert.equal((await loadStrings("", new Map())).lang, "en");
    const unknown = await loadStrings("?lang=xx", new Map([["console.lang", "fr"]]));
    assert.equal(unknown.lang, "en");
    assert.equal(unknown.t("status.events", { n: 3 }), "3 events");
  });
});
