/**
 * Idempotent operations (docs/idempotency.md): keys claimed, completed and
 * replayed (./keys.ts), and flows of steps resumable at the key's recovery
 * point (./flow.ts).
 */
export { finish, flowFaults, runFlow, SimulatedCrash, type CallStep, type Finish, type Flow, type Step, type TransactionStep } from "./flow.js";
export {
  failure,
  fingerprint,
  isValidIdempotencyKey,
  keyInUse,
  purgeExpiredIdempotencyKeys,
  requireIdempotencyKey,
  type IdempotentRequest,
  type IdempotentResult,
  type Outcome,
} from "./keys.js";
