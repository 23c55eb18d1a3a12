import { createHash } from "node:crypto";
import { Kind, print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { CatalogCache, type CatalogCacheLimits } from "../lib/catalog-cache.js";

/** The root fields whose answers are the same for every caller: the public catalogue. Product has no field that depends on who asks. */
const PUBLIC_ROOT_FIELDS = new Set(["products", "product", "__typename"]);

/**
 * The GraphQL door's response cache for the public catalogue
 * (lib/catalog-cache.ts): a query whose every root field is `products` or
 * `product` is answered from memory while nothing has been written since its
 * answer was made. Any other query (anything about a user, an order, a
 * payment) never touches it, whoever asks, so no caller's data can reach
 * another. Answers with errors are not kept.
 */
export function useResponseCache(limits: CatalogCacheLimits): Plugin {
  const cache = new CatalogCache<ExecutionResult>(limits, (key, value) => key.length + JSON.stringify(value).length);
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const key = publicReadKey(args);
      if (!key) return undefined;
      // Without a version (the database is unreachable) the query runs as if there were no cache, and answers that.
      return cache.lookup(key).then(({ version, value }) => {
        if (value) {
          setResultAndStopExecution(value);
          return undefined;
        }
        return {
          onExecuteDone({ result }) {
            if (isPlainResult(result) && !result.errors?.length) void cache.store(version, key, result);
          },
        };
      }, () => undefined);
    },
  };
}

/** A query whose every root field is the public catalogue's: its answer is the same whoever asks. */
export function isPublicCatalogueQuery(args: ExecutionArgs): boolean {
  const document = args.document as DocumentNode;
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = args.operationName ? operations.find((o) => o.name?.value === args.operationName) : operations.length === 1 ? operations[0] : undefined;
  return operation?.operation === "query" && onlyPublicRootFields(operation.selectionSet, document);
}

/** The key of a public catalogue query (its text, operation and variables), or undefined for anything else. */
function publicReadKey(args: ExecutionArgs): string | undefined {
  if (!isPublicCatalogueQuery(args)) return undefined;
  return createHash("sha256")
    .update(printed(args.document))
    .update("\0")
    .update(args.operationName ?? "")
    .update("\0")
    .update(JSON.stringify(args.variableValues ?? {}))
    .digest("base64url");
}

function onlyPublicRootFields(selections: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): boolean {
  return selections.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return PUBLIC_ROOT_FIELDS.has(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return onlyPublicRootFields(selection.selectionSet, document, seen);
    const name = selection.name.value;
    if (seen.has(name)) return true;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && onlyPublicRootFields(fragment.selectionSet, document, seen);
  });
}

/** Yoga's parse cache hands out one document object per query text: its printed form is made once. */
const printedDocuments = new WeakMap<DocumentNode, string>();
function printed(document: DocumentNode): string {
  let text = printedDocuments.get(document);
  if (text === undefined) printedDocuments.set(document, (text = print(document)));
  return text;
}

export function isPlainResult(result: unknown): result is ExecutionResult {
  return typeof result === "object" && result !== null && !(Symbol.asyncIterator in result);
}
