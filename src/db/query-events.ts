export interface QueryEvent {
  query: string;
  durationMs: number;
}

const listeners = new Set<(event: QueryEvent) => void>();

export function emitQuery(event: QueryEvent): void {
  for (const listener of listeners) listener(event);
}

/** Subscribes to every SQL statement the app runs (ORM or driver); returns the unsubscribe function. */
export function onQuery(listener: (event: QueryEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
