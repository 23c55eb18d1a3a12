/** Prints the Pothos schema to schema.graphql (committed; tests/schema.test.ts fails when it is stale). */
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "../schema/index.js";

export const SCHEMA_FILE = new URL("../../schema.graphql", import.meta.url);

export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, printedSchema());
  process.stdout.write("schema.graphql written\n");
}
