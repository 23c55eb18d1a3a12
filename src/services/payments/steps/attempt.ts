import type { Principal } from "../../../auth/principal.js";
import type { Cents } from "../../../lib/money.js";
import type { Charge } from "../../external/index.js";

/** One attempt to pay an order, as the steps of ./ pass it on. */
export interface PaymentAttempt {
  orderId: number;
  amountCents: Cents;
  paymentMethod: string;
  cardLast4: string | null;
  /** Derived from the client's idempotency key: the gateway charges once per attempt, whatever happens here. */
  gatewayKey: string;
  fraudScore: number | null;
  paymentId?: number;
  charge?: Charge;
}

/** What a flow's state offers the payment steps: who pays, and the attempt once there is one. */
export interface PaymentFlowState {
  principal: Principal;
  payment?: PaymentAttempt;
  /** False only for an admin who pays without the fraud check. */
  fraudCheck?: boolean;
}
