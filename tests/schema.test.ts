import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILE, printedSchema } from "../src/cli/print-schema.js";

describe("schema.graphql", () => {
  it("is the printed Pothos schema (run `npm run schema:print` after a schema change)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(printedSchema());
  });
});
