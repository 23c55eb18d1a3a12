import { createHash } from "node:crypto";
import { Kind, print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { changeVersion } from "../db/index.js";
import { requestContext } from "../lib/request-context.js";
import { ByteLru } from "./byte-lru.js";

/** The root fields whose answers are the same for every caller: the public catalogue. Product has no field that depends on who asks. */
const PUBLIC_ROOT_FIELDS = new Set(["products", "product", "__typename"]);

export interface ResponseCacheLimits {
  maxBytes: number;
  maxEntries: number;
  /** New answers one client address may store a minute: past it, its answers are served but not kept, so one client cannot cycle everyone's entries out. */
  insertsPerMinute: number;
}

/**
 * A response cache for the public catalogue: a query whose every root field
 * is `products` or `product` is answered from memory while nothing has been
 * written since its answer was made. Entries belong to the database's change
 * version (db/reads.ts `changeVersion`): read first, then the answer, so a
 * stored answer is never older than the version it is stored under, and a
 * read after a write was acknowledged sees a newer version and misses. That
 * holds across instances with nothing to deliver: the version is the
 * database's. Answers of older versions are dropped. Any other query (anything
 * about a user, an order, a payment) never touches it, whoever asks, so no
 * caller's data can reach another. Answers with errors are not kept, nor a
 * client's past its share of new entries a minute.
 */
export function useResponseCache(limits: ResponseCacheLimits): Plugin {
  const cache = new VersionedCache(limits);
  const inserts = new RateLimiterMemory({ points: limits.insertsPerMinute, duration: 60 });
  const store = (version: string, key: string, result: ExecutionResult) =>
    inserts.consume(requestContext()?.clientAddress ?? "unknown").then(
      () => cache.set(version, key, result),
      () => undefined, // over this client's share: answered, not kept
    );
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const key = publicReadKey(args);
      if (!key) return undefined;
      // Without a version (the database is unreachable) the query runs as if there were no cache, and answers that.
      return changeVersion().then((version) => {
        const cached = cache.get(version, key);
        if (cached) {
          setResultAndStopExecution(cached);
          return undefined;
        }
        return {
          onExecuteDone({ result }) {
            if (isPlainResult(result) && !result.errors?.length) void store(version, key, result);
          },
        };
      }, () => undefined);
    },
  };
}

/** The key of a public catalogue query (its text, operation and variables), or undefined for anything else. */
function publicReadKey(args: ExecutionArgs): string | undefined {
  const document = args.document as DocumentNode;
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = args.operationName ? operations.find((o) => o.name?.value === args.operationName) : operations.length === 1 ? operations[0] : undefined;
  if (operation?.operation !== "query" || !onlyPublicRootFields(operation.selectionSet, document)) return undefined;
  return createHash("sha256")
    .update(printed(document))
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

function isPlainResult(result: unknown): result is ExecutionResult {
  return typeof result === "object" && result !== null && !(Symbol.asyncIterator in result);
}

/**
 * Answers of the two latest change versions seen, bounded in bytes and
 * entries. Two, not one: on PostgreSQL, answers read on different pool
 * connections come back out of order, and a late one of the previous version
 * must not throw the current version's answers away. A version that is
 * neither starts over in place of the older one.
 */
class VersionedCache {
  #generations: { version: string; entries: ByteLru<ExecutionResult> }[] = [];

  constructor(private readonly limits: ResponseCacheLimits) {}

  get(version: string, key: string): ExecutionResult | undefined {
    const generation = this.#generations.find((g) => g.version === version);
    if (generation) return generation.entries.get(key);
    this.#generations = [{ version, entries: new ByteLru(this.limits, weigh) }, ...this.#generations.slice(0, 1)];
    return undefined;
  }

  set(version: string, key: string, result: ExecutionResult): void {
    this.#generations.find((g) => g.version === version)?.entries.set(key, result);
  }
}

const weigh = (key: string, value: ExecutionResult) => key.length + JSON.stringify(value).length;
