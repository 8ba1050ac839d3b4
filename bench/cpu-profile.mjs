// Loaded with NODE_OPTIONS=--import=<this file> by the cost suite (node refuses --cpu-prof in
// NODE_OPTIONS): profiles the whole process, as --cpu-prof would, and writes the V8 profile to
// CPU_PROF_DIR/<script's directory>-<pid>.cpuprofile when the process exits.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const dir = process.env.CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  process.on("exit", () => {
    // An in-thread session answers synchronously, so the profile is written before the exit.
    session.post("Profiler.stop", (error, result) => {
      if (error) return;
      const name = path.basename(path.dirname(process.argv[1] ?? "node"));
      writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
