import { chargeCard } from "../../external/index.js";
import type { CallStep } from "../../idempotency/index.js";
import type { PaymentFlowState } from "./attempt.js";

/**
 * charge: charges the card, a network call outside any transaction. The
 * gateway key makes a retry get the same charge, so it needs no undo; it is
 * irreversible: money moved, the steps before it are never undone.
 */
export function chargeStep<S extends PaymentFlowState>(): CallStep<S> {
  return {
    kind: "call",
    name: "charge",
    irreversible: true,
    run: async (state) => {
      const attempt = state.payment!;
      const charge = await chargeCard({ idempotencyKey: attempt.gatewayKey, amountCents: attempt.amountCents, cardLast4: attempt.cardLast4 });
      return { ...state, payment: { ...attempt, charge } };
    },
  };
}
