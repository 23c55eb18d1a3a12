import type { CallStep } from "../../idempotency/index.js";
import { fraudDecision } from "../fraud.js";
import type { PaymentAttempt, PaymentFlowState } from "./attempt.js";

/**
 * fraud_check: scores the attempt's amount with the fraud service, a network
 * call outside any transaction (503 when it cannot answer). Skipped when the
 * state says so (an admin paying without the check). Nothing to undo.
 */
export function fraudCheckStep<S extends PaymentFlowState>(): CallStep<S> {
  return {
    kind: "call",
    name: "fraud_check",
    run: async (state) => (state.fraudCheck === false ? state : { ...state, payment: await scoreFraud(state.payment!) }),
  };
}

async function scoreFraud(attempt: PaymentAttempt): Promise<PaymentAttempt> {
  return { ...attempt, fraudScore: await fraudDecision.score(attempt.amountCents) };
}

export function fraudRejects(attempt: PaymentAttempt): boolean {
  return attempt.fraudScore !== null && fraudDecision.rejects(attempt.fraudScore);
}
