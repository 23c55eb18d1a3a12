/**
 * A least-recently-used map of string-keyed values bounded in bytes (each
 * entry weighs what `weigh` says) and in entries, each kept at most `ttlMs`.
 * For what anyone can add to (persisted documents, parsed documents): a
 * count alone does not bound memory when one entry can be a megabyte.
 */
export class ByteLru<T> {
  private readonly entries = new Map<string, { value: T; bytes: number; expiresAt: number }>();
  private total = 0;

  constructor(
    private readonly limits: { maxBytes: number; maxEntries: number; ttlMs?: number },
    private readonly weigh: (key: string, value: T) => number,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= Date.now()) {
      this.total -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry); // most recently used: last in the map's order
    return entry.value;
  }

  set(key: string, value: T): void {
    const bytes = this.weigh(key, value);
    if (bytes > this.limits.maxBytes || this.limits.maxEntries === 0) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.total -= old.bytes;
    }
    this.entries.set(key, { value, bytes, expiresAt: Date.now() + (this.limits.ttlMs ?? Infinity) });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.limits.maxBytes && this.entries.size <= this.limits.maxEntries) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  /** What the entries weigh together. */
  get bytes(): number {
    return this.total;
  }
}
