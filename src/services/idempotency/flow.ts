import { sqlTransaction, type Sql } from "../../db/sql.js";
import type { DomainError } from "../../errors.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  failure,
  isDeterministic,
  replayOutcome,
  type IdempotentRequest,
  type IdempotentResult,
  type Outcome,
} from "./keys.js";
import { saveRecoveryPoint, unlockKey } from "./sql.js";

/**
 * Idempotent operations as steps, each with its undo beside it (Medusa's
 * createStep), resumable at the recovery point stored on the key (Stripe's
 * atomic phases; docs/idempotency.md):
 *
 * - A transaction step runs in a driver transaction; consecutive ones share
 *   one. When it commits, the key's recovery point names the last of them
 *   (and the resource it made), so a crash loses at most that transaction.
 * - A call step (a network call) runs outside any transaction. It must be
 *   idempotent (the card gateway is, by key): a retry runs it again.
 * - A step that returns `finish(outcome)` ends the flow: the outcome is stored
 *   on the key in that step's transaction and replayed to every retry.
 * - A failure that is not a crash undoes what this attempt did, newest first,
 *   up to an irreversible step (money moved), and moves the recovery point
 *   back to the last step whose effect is still in the database, in one
 *   transaction. A deterministic failure is then stored as the outcome; a
 *   transient one unlocks the key so a retry resumes from that point.
 */
export interface TransactionStep<S, T> {
  readonly kind: "transaction";
  readonly name: string;
  run(sql: Sql, state: S): Promise<S | Finish<T>>;
  /** The id the recovery point names once this step committed (the order, the payment). */
  resource(state: S): number;
  undo?(sql: Sql, state: S): Promise<void>;
}

export interface CallStep<S> {
  readonly kind: "call";
  readonly name: string;
  run(state: S): Promise<S>;
  /** Money moved: steps before it are never undone, a retry finishes the flow. */
  readonly irreversible?: boolean;
}

export type Step<S, T> = TransactionStep<S, T> | CallStep<S>;

export interface Flow<S, T> {
  readonly steps: readonly Step<S, T>[];
  /** The state a retry continues with after the step named `point`: reloaded, and leases taken again. */
  resume(sql: Sql, point: string, resourceId: number, initial: S): Promise<S>;
}

export interface Finish<T> {
  readonly finish: Outcome<T>;
}

export const finish = <T>(outcome: Outcome<T>): Finish<T> => ({ finish: outcome });

const isFinish = <S, T>(value: S | Finish<T>): value is Finish<T> => typeof value === "object" && value !== null && "finish" in value;

/** Crash injection for tests: called after every step (inside its transaction, then once it committed). */
export const flowFaults: { afterStep?: (operation: string, step: string, phase: "ran" | "committed") => void } = {};

/** What tests throw from `flowFaults.afterStep` to stop a flow as a killed process would: nothing undone, nothing unlocked. */
export class SimulatedCrash extends Error {
  constructor(step: string) {
    super(`simulated crash after ${step}`);
    this.name = "SimulatedCrash";
  }
}

interface Point {
  name: string;
  resourceId: number | null;
}

type Ran<S, T> = Awaited<ReturnType<typeof runTransactionSteps<S, T>>>;
type Claimed<S> = { keyId: number; state: S; next: number; point: Point | null } | undefined;
type Group<S, T> = { replay: Outcome<T> } | { claimed: Claimed<S>; stored: DomainError } | { claimed: Claimed<S>; ran: Ran<S, T> };

interface Done<S, T> {
  step: Step<S, T>;
  state: S;
  /** The recovery point before this step: where an undo moves the key back to. */
  before: Point | null;
}

export async function runFlow<S, T>(flow: Flow<S, T>, request: IdempotentRequest, initial: S): Promise<IdempotentResult<T>> {
  if (flow.steps[0]?.kind !== "transaction") throw new Error("a flow starts with a transaction step: it claims the key");
  const { operation } = request;
  let keyId: number | undefined;
  let state = initial;
  let next = 0;
  let point: Point | null = null;
  const done: Done<S, T>[] = [];

  try {
    while (next < flow.steps.length) {
      const step = flow.steps[next]!;
      if (step.kind === "call") {
        const before = point;
        state = await step.run(state);
        done.push({ step, state, before });
        flowFaults.afterStep?.(operation, step.name, "committed");
        next++;
        continue;
      }
      const group = await sqlTransaction(async (sql): Promise<Group<S, T>> => {
        let claimed: Claimed<S>;
        let resumeAt: Point | undefined;
        if (keyId === undefined) {
          const claim = await claimIdempotencyKey(sql, request);
          if (claim.kind === "replay") return { replay: replayOutcome<T>(claim) };
          claimed = { keyId: claim.id, state, next, point };
          if (claim.kind === "resume" && claim.recoveryPoint !== null) {
            resumeAt = { name: claim.recoveryPoint, resourceId: claim.resourceId };
            claimed.next = stepAfter(flow, claim.recoveryPoint);
            claimed.point = resumeAt;
          }
        }
        const id = claimed?.keyId ?? keyId!;
        const from = claimed ?? { state, next, point };
        const steps = async () => {
          if (resumeAt) from.state = await flow.resume(sql, resumeAt.name, resumeAt.resourceId ?? 0, from.state);
          return runTransactionSteps(sql, flow, operation, from.state, from.next, from.point);
        };
        let ran: Ran<S, T>;
        if (!claimed) {
          // The key was claimed earlier: a failure here rolls this transaction back and stopAttempt decides.
          ran = await steps();
        } else {
          try {
            // In a savepoint, so a deterministic failure undoes the steps' writes but keeps the claim to store it on.
            ran = await sql.savepoint(steps);
          } catch (error) {
            if (!isDeterministic(error)) throw error;
            await completeIdempotencyKey(sql, id, failure(error));
            return { claimed, stored: error };
          }
        }
        if (ran.finished) await completeIdempotencyKey(sql, id, ran.finished);
        else if (ran.point !== from.point) await saveRecoveryPoint(sql, id, ran.point!.name, ran.point!.resourceId);
        return { claimed, ran };
      });
      if ("replay" in group) return { replayed: true, outcome: group.replay };
      if (group.claimed) ({ keyId, state, next, point } = group.claimed);
      if ("stored" in group) return { replayed: false, outcome: failure(group.stored) };
      for (const d of group.ran.done) done.push(d);
      state = group.ran.state;
      next = group.ran.next;
      point = group.ran.point;
      for (const d of group.ran.done) flowFaults.afterStep?.(operation, d.step.name, "committed");
      if (group.ran.finishedBy) flowFaults.afterStep?.(operation, group.ran.finishedBy, "committed");
      if (group.ran.finished) return { replayed: false, outcome: group.ran.finished };
    }
    throw new Error(`flow ${operation} ended without an outcome`);
  } catch (error) {
    if (error instanceof SimulatedCrash || keyId === undefined) throw error;
    return stopAttempt(keyId, done, point, error);
  }
}

function stepAfter<S, T>(flow: Flow<S, T>, point: string): number {
  const index = flow.steps.findIndex((s) => s.name === point);
  if (index < 0) throw new Error(`unknown recovery point ${point}`);
  return index + 1;
}

/** Runs the transaction steps from `next` until a call step or the end, inside the caller's transaction. */
async function runTransactionSteps<S, T>(sql: Sql, flow: Flow<S, T>, operation: string, state: S, next: number, point: Point | null) {
  const done: Done<S, T>[] = [];
  while (next < flow.steps.length && flow.steps[next]!.kind === "transaction") {
    const step = flow.steps[next] as TransactionStep<S, T>;
    const result = await step.run(sql, state);
    flowFaults.afterStep?.(operation, step.name, "ran");
    if (isFinish(result)) return { state, next: flow.steps.length, point, done, finished: result.finish, finishedBy: step.name };
    done.push({ step, state: result, before: point });
    state = result;
    point = { name: step.name, resourceId: step.resource(state) };
    next++;
  }
  return { state, next, point, done, finished: undefined, finishedBy: undefined };
}

/**
 * Ends an attempt that failed: undoes what it did (newest first, stopping at
 * an irreversible step), moves the recovery point back, and stores a
 * deterministic failure or unlocks the key for a retry, in one transaction.
 */
async function stopAttempt<S, T>(keyId: number, done: Done<S, T>[], point: Point | null, error: unknown): Promise<IdempotentResult<T>> {
  await sqlTransaction(async (sql) => {
    for (const d of [...done].reverse()) {
      if (d.step.kind === "call" && d.step.irreversible) break;
      if (d.step.kind === "transaction" && d.step.undo) {
        await d.step.undo(sql, d.state);
        point = d.before;
      }
    }
    if (isDeterministic(error)) await completeIdempotencyKey(sql, keyId, failure(error));
    else await unlockKey(sql, keyId, point);
  });
  if (isDeterministic(error)) return { replayed: false, outcome: failure(error as DomainError) };
  throw error;
}
