import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };

describe("the dependency set", () => {
  it("runs on every Node the engines field allows: no package asks for more (a clean install prints no EBADENGINE)", () => {
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    const wanting = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      return range && !(semver.satisfies(oldest, range) && semver.satisfies(process.version, range)) ? [`${path}@${entry.version}: node ${range}`] : [];
    });
    expect(wanting).toEqual([]);
  });
});
