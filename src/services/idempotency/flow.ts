import { sqlTransaction, type Sql } from "../../db/sql.js";
import type { DomainError } from "../../errors.js";
import { withSpan } from "../../lib/tracing.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  failure,
  gatewayKeyFor,
  isDeterministic,
  replayOutcome,
  saveKeyRecoveryPoint,
  unlockIdempotencyKey,
  type HeldKey,
  type IdempotentRequest,
  type IdempotentResult,
  type Outcome,
} from "./keys.js";

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
 * - A failure that is not a crash undoes what this attempt did (a resumed
 *   attempt owns the steps up to its recovery point), newest first, up to an
 *   irreversible step (money moved), and moves the recovery point back to the
 *   last step whose effect is still in the database, in one transaction. A
 *   deterministic failure is then stored as the outcome, unless money moved;
 *   otherwise the key is unlocked so a retry resumes from that point.
 * - Every write to the key is fenced by the lock this attempt took: an
 *   attempt that stalled past its lock while a retry took over rolls back.
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
  /** Recovery points stored under older names, by the step they now name. */
  readonly renamedPoints?: Readonly<Record<string, string>>;
  /** The state with the key the card gateway sees for this attempt (gatewayKeyFor), once the key is claimed. */
  withGatewayKey?(state: S, gatewayKey: string): S;
}

export interface Finish<T> {
  readonly finish: Outcome<T>;
}

export const finish = <T>(outcome: Outcome<T>): Finish<T> => ({ finish: outcome });

const isFinish = <S, T>(value: S | Finish<T>): value is Finish<T> => typeof value === "object" && value !== null && "finish" in value;

/** Fault injection for tests: called after every step (inside its transaction, then once it committed); may throw or stall. */
export const flowFaults: { afterStep?: (operation: string, step: string, phase: "ran" | "committed") => void | Promise<void> } = {};

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

interface Done<S, T> {
  step: Step<S, T>;
  state: S;
  /** The recovery point before this step: where an undo moves the key back to. */
  before: Point | null;
}

type Ran<S, T> = Awaited<ReturnType<typeof runTransactionSteps<S, T>>>;
/** Where an attempt stands: its key once claimed, its state, the next step, its recovery point, and what it did (for an undo). */
interface Attempt<S, T> {
  key?: HeldKey;
  state: S;
  next: number;
  point: Point | null;
  done: Done<S, T>[];
}
type Claimed<S, T> = Required<Omit<Attempt<S, T>, "done">> & { resumed: Done<S, T>[] };
type Group<S, T> = { replay: Outcome<T> } | { claimed?: Claimed<S, T>; stored: DomainError } | { claimed?: Claimed<S, T>; ran: Ran<S, T> };

/**
 * Runs a flow for one idempotent request: the first transaction group claims
 * the key (or replays its outcome), call steps run between groups, and a
 * failure stops the attempt (undo, then store or unlock). Three parts:
 * `claimAttempt`, `runGroup`, `stopAttempt`.
 */
export function runFlow<S, T>(flow: Flow<S, T>, request: IdempotentRequest, initial: S): Promise<IdempotentResult<T>> {
  if (flow.steps[0]?.kind !== "transaction") throw new Error("a flow starts with a transaction step: it claims the key");
  return withSpan(`flow ${request.operation}`, { attributes: { "flow.operation": request.operation } }, () => runAttempt(flow, request, initial));
}

async function runAttempt<S, T>(flow: Flow<S, T>, request: IdempotentRequest, initial: S): Promise<IdempotentResult<T>> {
  const attempt: Attempt<S, T> = { state: initial, next: 0, point: null, done: [] };
  try {
    while (attempt.next < flow.steps.length) {
      const step = flow.steps[attempt.next]!;
      const result = step.kind === "call" ? await runCall(step, attempt, request.operation) : await runGroup(flow, request, attempt);
      if (result) return result;
    }
    throw new Error(`flow ${request.operation} ended without an outcome`);
  } catch (error) {
    if (error instanceof SimulatedCrash || !attempt.key) throw error;
    return stopAttempt(attempt.key, attempt.done, attempt.point, error);
  }
}

/** A call step, outside any transaction: it must be idempotent (a retry runs it again). */
async function runCall<S, T>(step: CallStep<S>, attempt: Attempt<S, T>, operation: string): Promise<undefined> {
  const before = attempt.point;
  attempt.state = await stepSpan(step.name, () => step.run(attempt.state));
  attempt.done.push({ step, state: attempt.state, before });
  await flowFaults.afterStep?.(operation, step.name, "committed");
  attempt.next++;
  return undefined;
}

/**
 * Claims the key in the first group's transaction: its stored outcome to
 * replay, or this attempt's start (at the key's recovery point when a crashed
 * or stopped attempt left one).
 */
async function claimAttempt<S, T>(sql: Sql, flow: Flow<S, T>, request: IdempotentRequest, attempt: Attempt<S, T>): Promise<{ replay: Outcome<T> } | Claimed<S, T>> {
  const claim = await stepSpan("claim", () => claimIdempotencyKey(sql, request));
  if (claim.kind === "replay") return { replay: replayOutcome<T>(claim) };
  const state = flow.withGatewayKey ? flow.withGatewayKey(attempt.state, gatewayKeyFor(request, claim.attempt)) : attempt.state;
  const claimed: Claimed<S, T> = { key: claim.key, state, next: attempt.next, point: attempt.point, resumed: [] };
  if (claim.kind === "resume" && claim.recoveryPoint !== null) {
    const name = flow.renamedPoints?.[claim.recoveryPoint] ?? claim.recoveryPoint;
    claimed.point = { name, resourceId: claim.resourceId };
    claimed.next = stepAfter(flow, name);
  }
  return claimed;
}

/**
 * One transaction group: (the claim,) the transaction steps up to the next
 * call step, and the key's new recovery point or stored outcome, committed
 * together. The attempt moves on only once it committed.
 */
async function runGroup<S, T>(flow: Flow<S, T>, request: IdempotentRequest, attempt: Attempt<S, T>): Promise<IdempotentResult<T> | undefined> {
  const { operation } = request;
  const group = await sqlTransaction(async (sql): Promise<Group<S, T>> => {
    const claimed = attempt.key ? undefined : await claimAttempt(sql, flow, request, attempt);
    if (claimed && "replay" in claimed) return claimed;
    const held = claimed?.key ?? attempt.key!;
    const from = claimed ?? { state: attempt.state, next: attempt.next, point: attempt.point };
    const steps = async () => {
      if (claimed?.point) {
        claimed.state = from.state = await flow.resume(sql, claimed.point.name, claimed.point.resourceId ?? 0, from.state);
        claimed.resumed = resumedSteps(flow, claimed.next, claimed.state);
      }
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
        await completeIdempotencyKey(sql, held, failure(error));
        return { claimed, stored: error };
      }
    }
    if (ran.finished) await completeIdempotencyKey(sql, held, ran.finished);
    else if (ran.point !== from.point) await saveKeyRecoveryPoint(sql, held, ran.point!.name, ran.point!.resourceId);
    return { claimed, ran };
  });
  if ("replay" in group) return { replayed: true, outcome: group.replay };
  if (group.claimed) {
    const { key, state, next, point, resumed } = group.claimed;
    Object.assign(attempt, { key, state, next, point });
    attempt.done.push(...resumed);
  }
  if ("stored" in group) return { replayed: false, outcome: failure(group.stored) };
  const { ran } = group;
  attempt.done.push(...ran.done);
  Object.assign(attempt, { state: ran.state, next: ran.next, point: ran.point });
  for (const d of ran.done) await flowFaults.afterStep?.(operation, d.step.name, "committed");
  if (ran.finishedBy) await flowFaults.afterStep?.(operation, ran.finishedBy, "committed");
  return ran.finished ? { replayed: false, outcome: ran.finished } : undefined;
}

function stepAfter<S, T>(flow: Flow<S, T>, point: string): number {
  const index = flow.steps.findIndex((s) => s.name === point);
  if (index < 0) throw new Error(`unknown recovery point ${point}`);
  return index + 1;
}

/**
 * A resumed attempt owns what earlier attempts did up to its recovery point
 * (it took the lease again): those transaction steps are its to undo.
 */
function resumedSteps<S, T>(flow: Flow<S, T>, next: number, state: S): Done<S, T>[] {
  const steps: Done<S, T>[] = [];
  let before: Point | null = null;
  for (const step of flow.steps.slice(0, next)) {
    if (step.kind !== "transaction") continue;
    steps.push({ step, state, before });
    before = { name: step.name, resourceId: step.resource(state) };
  }
  return steps;
}

/** Runs the transaction steps from `next` until a call step or the end, inside the caller's transaction. */
async function runTransactionSteps<S, T>(sql: Sql, flow: Flow<S, T>, operation: string, state: S, next: number, point: Point | null) {
  const done: Done<S, T>[] = [];
  while (next < flow.steps.length && flow.steps[next]!.kind === "transaction") {
    const step = flow.steps[next] as TransactionStep<S, T>;
    const result = await stepSpan(step.name, () => step.run(sql, state));
    await flowFaults.afterStep?.(operation, step.name, "ran");
    if (isFinish(result)) return { state, next: flow.steps.length, point, done, finished: result.finish, finishedBy: step.name };
    done.push({ step, state: result, before: point });
    state = result;
    point = { name: step.name, resourceId: step.resource(state) };
    next++;
  }
  return { state, next, point, done, finished: undefined, finishedBy: undefined };
}

/**
 * Ends an attempt that failed: undoes what it did, newest first, stopping at
 * a step whose effect must stay (irreversible, or with no undo), moves the
 * recovery point back, and in the same transaction stores a deterministic
 * failure (only while no money moved) or unlocks the key for a retry.
 */
async function stopAttempt<S, T>(key: HeldKey, done: Done<S, T>[], point: Point | null, error: unknown): Promise<IdempotentResult<T>> {
  const moneyMoved = done.some((d) => d.step.kind === "call" && d.step.irreversible);
  const store = isDeterministic(error) && !moneyMoved;
  await stepSpan("undo", () => sqlTransaction(async (sql) => {
    for (const d of [...done].reverse()) {
      if (d.step.kind === "call") {
        if (d.step.irreversible) break;
        continue;
      }
      if (!d.step.undo) break;
      await d.step.undo(sql, d.state);
      point = d.before;
    }
    if (store) await completeIdempotencyKey(sql, key, failure(error as DomainError));
    else await unlockIdempotencyKey(sql, key, point);
  }));
  if (store) return { replayed: false, outcome: failure(error as DomainError) };
  throw error;
}

/** Each step (the claim and an undo included) is a span: a slow checkout shows which step took the time. */
function stepSpan<R>(name: string, run: () => Promise<R>): Promise<R> {
  return withSpan(`step ${name}`, { attributes: { "flow.step": name } }, run);
}
