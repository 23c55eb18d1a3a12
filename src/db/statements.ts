/**
 * Helpers for the hand-written statements of services/<aggregate>/sql.ts.
 * Each of those modules exports its fixed texts as `statements` and its
 * generated ones (IN lists, multi-row VALUES) through `samples()`, so
 * tests/sql-statements.test.ts can prepare every one against a freshly
 * migrated database of each engine.
 */

/** `?, ?, ?`: n placeholders. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

/** `(?, ?), (?, ?)`: n rows of `width` placeholders. */
export const valueRows = (n: number, width: number): string => Array.from({ length: n }, () => `(${placeholders(width)})`).join(", ");

/** A statement text built once per shape (an IN list's length, a SET list) and reused: one prepared statement each. */
export function memoized<K>(build: (key: K) => string): (key: K) => string {
  const cache = new Map<K, string>();
  return (key) => {
    let text = cache.get(key);
    if (text === undefined) cache.set(key, (text = build(key)));
    return text;
  };
}
