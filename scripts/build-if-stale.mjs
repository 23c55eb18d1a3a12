// The build step of `npm start`, `npm run token`, bench and chaos: compiles
// src/ to dist/ (incremental tsc) only when a source, a tsconfig or the
// lockfile changed since the last build, so a second start is quick. Prints
// only when it builds, and then to stderr (`$(npm run -s token)` stays clean).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const STAMP = "dist/.built";
const INPUTS = ["src", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];

/** The newest modification time under a path (a folder's own time changes when a file is added or removed). */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), stat.mtimeMs);
}

const sources = Math.max(...INPUTS.filter((path) => existsSync(path)).map(newest));
if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= sources) process.exit(0);

process.stderr.write("Compiling src/ to dist/ (sources changed since the last build)...\n");
const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: ["ignore", process.stderr, "inherit"] });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
// Stamped with the sources' time, not the clock: a file saved during the build makes the next start build again.
writeFileSync(STAMP, "");
const at = Math.ceil(sources) / 1000; // seconds; rounded up, as a Date would lose the fraction
utimesSync(STAMP, at, at);
