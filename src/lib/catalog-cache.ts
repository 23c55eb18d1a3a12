import { RateLimiterMemory } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import { changeVersion } from "../db/index.js";
import { ByteLru } from "./byte-lru.js";
import { requestContext } from "./request-context.js";

export interface CatalogCacheLimits {
  maxBytes: number;
  maxEntries: number;
  /** New answers one client address may store a minute: past it, its answers are served but not kept, so one client cannot cycle everyone's entries out. */
  insertsPerMinute: number;
}

/** The limits of each door's response cache, or undefined when it is off (`RESPONSE_CACHE_MAX_BYTES=0`). */
export function responseCacheLimits(config: Config): CatalogCacheLimits | undefined {
  if (config.RESPONSE_CACHE_MAX_BYTES === 0) return undefined;
  return { maxBytes: config.RESPONSE_CACHE_MAX_BYTES, maxEntries: config.RESPONSE_CACHE_MAX_ENTRIES, insertsPerMinute: config.RESPONSE_CACHE_INSERTS_PER_MIN };
}

/** A lookup: the version read, and the answer stored under it if any. */
export interface CatalogLookup<T> {
  version: string;
  value: T | undefined;
}

/**
 * Answers of public catalogue reads (the same for every caller), kept while
 * nothing has been written. Entries belong to the database's change version
 * (db/reads.ts `changeVersion`): a caller reads the version first, then makes
 * its answer, so a stored answer is never older than the version it is
 * stored under, and a read after a write was acknowledged sees a newer
 * version and misses. That holds across instances with nothing to deliver:
 * the version is the database's.
 *
 * Answers of the two latest versions seen are kept, each version's in half
 * the limits, so the whole cache stays within them. Two, not one: on
 * PostgreSQL, answers read on different pool connections come back out of
 * order, and a late one of the previous version must not throw the current
 * version's answers away. A version that is neither starts over in place of
 * the older one.
 */
export class CatalogCache<T> {
  #generations: { version: string; entries: ByteLru<T> }[] = [];
  readonly #inserts: RateLimiterMemory;

  constructor(
    private readonly limits: CatalogCacheLimits,
    private readonly weigh: (key: string, value: T) => number,
  ) {
    this.#inserts = new RateLimiterMemory({ points: limits.insertsPerMinute, duration: 60 });
  }

  /** The current version and `key`'s answer under it. Rejects when the version cannot be read: the caller then answers uncached. */
  async lookup(key: string): Promise<CatalogLookup<T>> {
    const version = await changeVersion();
    return { version, value: this.#get(version, key) };
  }

  /** Keeps an answer made after `version` was read, unless the calling client is past its share of new entries this minute. */
  store(version: string, key: string, value: T): Promise<void> {
    return this.#inserts.consume(requestContext()?.clientAddress ?? "unknown").then(
      () => this.#generations.find((g) => g.version === version)?.entries.set(key, value),
      () => undefined, // over this client's share: answered, not kept
    );
  }

  #get(version: string, key: string): T | undefined {
    const generation = this.#generations.find((g) => g.version === version);
    if (generation) return generation.entries.get(key);
    const half = { maxBytes: Math.floor(this.limits.maxBytes / 2), maxEntries: Math.ceil(this.limits.maxEntries / 2) };
    this.#generations = [{ version, entries: new ByteLru(half, this.weigh) }, ...this.#generations.slice(0, 1)];
    return undefined;
  }
}
