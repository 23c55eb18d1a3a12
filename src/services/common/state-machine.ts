/** A lifecycle: for each status, the statuses it may move to. */
export type TransitionTable<S extends string> = Record<S, readonly S[]>;

/** A status change the lifecycle table does not allow: a bug in the caller, never a client's fault. */
export class IllegalTransitionError extends Error {
  constructor(entity: string, from: string, to: string) {
    super(`illegal ${entity} transition ${from} -> ${to}`);
    this.name = "IllegalTransitionError";
  }
}

/** Throws unless `table` allows `from` -> `to`. */
export function assertTransition<S extends string>(entity: string, table: TransitionTable<S>, from: S, to: S): void {
  if (!table[from].includes(to)) throw new IllegalTransitionError(entity, from, to);
}
