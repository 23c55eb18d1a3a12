/** A status change the lifecycle table does not allow: a bug in the caller, never a client's fault. */
export class IllegalTransitionError extends Error {
  constructor(entity: string, from: string, to: string) {
    super(`illegal ${entity} transition ${from} -> ${to}`);
    this.name = "IllegalTransitionError";
  }
}
