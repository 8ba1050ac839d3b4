// Kafka's `sasl.jaas.config` value: login modules, each `<class> <flag> key="value" ... ;`. The
// broker reads its PLAIN users from the options named `user_<name>`, as Kafka's PlainLoginModule
// does (`listener.name.sasl_plaintext.plain.sasl.jaas.config=...PlainLoginModule required
// user_alice="alice-secret";`).

export interface JaasLoginModule {
  readonly loginModule: string;
  readonly flag: "required" | "requisite" | "sufficient" | "optional";
  readonly options: ReadonlyMap<string, string>;
}

const FLAGS = new Set(["required", "requisite", "sufficient", "optional"]);

export class JaasConfigError extends Error {}

/** Parses one or more login modules; a value may be double-quoted (with \" and \\ escapes) or a bare word. */
export function parseJaasConfig(text: string): JaasLoginModule[] {
  const tokens = tokenize(text);
  const modules: JaasLoginModule[] = [];
  let at = 0;
  const next = (): Token | undefined => tokens[at++];
  while (at < tokens.length) {
    const loginModule = next();
    const flag = next();
    if (loginModule?.kind !== "word") throw new JaasConfigError("sasl.jaas.config: expected a login module class");
    if (flag?.kind !== "word" || !FLAGS.has(flag.text))
      throw new JaasConfigError(`sasl.jaas.config: ${loginModule.text} needs a flag (required, requisite, ...)`);
    const options = new Map<string, string>();
    for (;;) {
      const token = next();
      if (token === undefined) throw new JaasConfigError("sasl.jaas.config: a login module must end with ';'");
      if (token.kind === "semicolon") break;
      const equals = next();
      const value = next();
      if (token.kind !== "word" || equals?.kind !== "equals" || value === undefined || value.kind === "semicolon")
        throw new JaasConfigError(`sasl.jaas.config: expected key="value" in ${loginModule.text}`);
      if (value.kind === "equals") throw new JaasConfigError(`sasl.jaas.config: option ${token.text} has no value`);
      options.set(token.text, value.text);
    }
    modules.push({ loginModule: loginModule.text, flag: flag.text as JaasLoginModule["flag"], options });
  }
  if (modules.length === 0) throw new JaasConfigError("sasl.jaas.config names no login module");
  return modules;
}

/** The `user_<name>="<password>"` options of the login modules: PLAIN's users. */
export function plainUsersOf(modules: readonly JaasLoginModule[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const module of modules) {
    for (const [key, value] of module.options) {
      if (key.startsWith("user_") && key.length > "user_".length) users.set(key.slice("user_".length), value);
    }
  }
  return users;
}

type Token = { kind: "word" | "string"; text: string } | { kind: "equals" | "semicolon"; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (/\s/.test(char)) {
      at++;
    } else if (char === "=" || char === ";") {
      tokens.push({ kind: char === "=" ? "equals" : "semicolon", text: char });
      at++;
    } else if (char === '"') {
      let value = "";
      at++;
      while (at < text.length && text[at] !== '"') {
        if (text[at] === "\\" && at + 1 < text.length) at++;
        value += text[at++];
      }
      if (at >= text.length) throw new JaasConfigError("sasl.jaas.config: a quoted value is not closed");
      at++;
      tokens.push({ kind: "string", text: value });
    } else {
      const word = /^[^\s=;"]+/.exec(text.slice(at))![0];
      tokens.push({ kind: "word", text: word });
      at += word.length;
    }
  }
  return tokens;
}
