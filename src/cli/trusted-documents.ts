/**
 * Writes clients/trusted-documents.json from clients/operations/*.graphql: the
 * operations a production gateway with GRAPHQL_TRUSTED_DOCUMENTS runs, by
 * sha256 of their text (Apollo's persisted-query hash). Each operation is
 * validated against the schema first; a broken one fails the build.
 *   npm run trusted-documents            (write)
 *   npm run trusted-documents -- --check (exit 1 when the file is stale)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { trustedDocuments, TRUSTED_DOCUMENTS_FILE } from "../graphql/trusted-documents.js";

const manifest = `${JSON.stringify(trustedDocuments(), null, 2)}\n`;
if (process.argv.includes("--check")) {
  const current = readFileSync(TRUSTED_DOCUMENTS_FILE, "utf8");
  if (current !== manifest) {
    process.stderr.write(`${TRUSTED_DOCUMENTS_FILE} is stale: run npm run trusted-documents\n`);
    process.exit(1);
  }
} else {
  writeFileSync(TRUSTED_DOCUMENTS_FILE, manifest);
  process.stdout.write(`${TRUSTED_DOCUMENTS_FILE}: ${Object.keys(JSON.parse(manifest)).length} documents\n`);
}
