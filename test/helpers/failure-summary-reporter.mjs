// A second test reporter for `npm test`: it stays silent while the run goes and, at the end, lists every
// failed test with its file and error in a few lines. CI keeps only the tail of a run's output, and the
// TAP reporter prints a failure where it happened, thousands of lines before the tail.
import { inspect } from "node:util";

const MAX_ERROR_LINES = 12;

function errorText(error) {
  const cause = error?.cause ?? error;
  const text = typeof cause === "string" ? cause : (cause?.stack ?? inspect(cause, { depth: 3 }));
  const lines = String(text).split("\n");
  const shown = lines.slice(0, MAX_ERROR_LINES);
  if (lines.length > MAX_ERROR_LINES) shown.push(`… ${lines.length - MAX_ERROR_LINES} more lines`);
  return shown.map((line) => `    ${line}`).join("\n");
}

export default async function* failureSummary(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== "test:fail") continue;
    const { name, file, line, details } = event.data;
    // A suite fails when a test inside it fails; the test itself is the one worth naming.
    if (details?.error?.failureType === "subtestsFailed") continue;
    failures.push({ name, where: file ? `${file}${line ? `:${line}` : ""}` : "(unknown file)", error: details?.error });
  }
  if (failures.length === 0) return;
  let out = `\n# ${failures.length} failed:\n`;
  for (const failure of failures) {
    out += `\n✖ ${failure.name}\n  at ${failure.where}\n${errorText(failure.error)}\n`;
  }
  yield out;
}
