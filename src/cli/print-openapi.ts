/** Prints the REST shim's OpenAPI document, for the default settings, to openapi.json (committed: CI lints it; tests fail when it is stale). */
import { writeFileSync } from "node:fs";
import { loadConfig } from "../config.js";
import { documentedRoutes } from "../rest/index.js";
import { openApiDocument } from "../rest/openapi/document.js";

export const OPENAPI_FILE = new URL("../../openapi.json", import.meta.url);

export function printedOpenApi(): string {
  return `${JSON.stringify(openApiDocument(documentedRoutes(loadConfig({}))), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(OPENAPI_FILE, printedOpenApi());
  process.stdout.write("openapi.json written\n");
}
