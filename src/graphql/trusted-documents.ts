import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kind, parse, print, validate, visit, type ASTNode, type DefinitionNode, type DocumentNode, type SelectionSetNode } from "graphql";
import { schema } from "../schema/index.js";

/**
 * Trusted documents: the operations the repository's clients send
 * (clients/operations/*.graphql), by the sha256 of their printed text. With
 * GRAPHQL_TRUSTED_DOCUMENTS pointing at the manifest, a production gateway runs
 * only these (graphql/apq.ts).
 */
export const OPERATIONS_DIR = "clients/operations";
export const TRUSTED_DOCUMENTS_FILE = "clients/trusted-documents.json";

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * hash -> document: each operation (with the file's fragments) as written, and
 * as Apollo Client sends it (`__typename` added to every selection set below
 * the root, which its cache always does), each checked against the schema.
 */
export function trustedDocuments(dir = OPERATIONS_DIR): Record<string, string> {
  const manifest: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".graphql")).sort()) {
    const document = parse(readFileSync(join(dir, file), "utf8"));
    const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    for (const operation of document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
      const written: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] as DefinitionNode[] };
      for (const text of [print(written), print(withTypenames(written))]) {
        const errors = validate(schema, parse(text));
        if (errors.length > 0) throw new Error(`${file}: ${errors.map((e) => e.message).join("; ")}`);
        manifest[sha256(text)] = text;
      }
    }
  }
  return manifest;
}

/** The manifest a production gateway trusts. */
export function loadTrustedDocuments(path: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const trusted = new Map<string, string>();
  for (const [hash, text] of Object.entries(manifest)) {
    if (!/^[0-9a-f]{64}$/.test(hash) || typeof text !== "string" || sha256(text) !== hash) throw new Error(`${path}: entry ${hash} is not the sha256 of its document`);
    trusted.set(hash, text);
  }
  return trusted;
}

/** Apollo Client's addTypenameToDocument: `__typename` last in every selection set but an operation's root, unless already there. */
function withTypenames(document: DocumentNode): DocumentNode {
  return visit(document, {
    SelectionSet: {
      leave(node: SelectionSetNode, _key, parent: ASTNode | readonly ASTNode[] | undefined) {
        if (parent && !Array.isArray(parent) && (parent as ASTNode).kind === Kind.OPERATION_DEFINITION) return undefined;
        if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "__typename")) return undefined;
        return { ...node, selections: [...node.selections, { kind: Kind.FIELD, name: { kind: Kind.NAME, value: "__typename" } }] };
      },
    },
  });
}
