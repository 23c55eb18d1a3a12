import type { Principal } from "../../../auth/principal.js";
import type { Sql } from "../../../db/sql.js";
import { DomainError } from "../../../errors.js";
import type { Cents } from "../../../lib/money.js";
import { businessMetrics } from "../../../lib/metrics.js";
import { markOrderPaid } from "../../orders/index.js";
import { settlePayment } from "../lifecycle.js";
import type { PaymentAttempt } from "./attempt.js";
import { openPayment } from "./open-payment.js";

/**
 * A 0-cent order (brought to 0 by a 100%-off coupon after it was placed) has
 * nothing to charge: paying it records a COMPLETED 0-cent payment and marks the
 * order PAID, with no fraud check and no gateway call, as checkout does for one
 * that is free when placed (docs/auth.md). Returns the payment's id.
 */
export async function payFreeOrder(sql: Sql, principal: Principal, attempt: PaymentAttempt, now = new Date()): Promise<number> {
  const { paymentId } = await openPayment(sql, principal, { ...attempt, amountCents: 0 as Cents, fraudScore: null }, now);
  await settlePayment(sql, paymentId!, null, now);
  if (!(await markOrderPaid(sql, attempt.orderId, now))) throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} is no longer payable`);
  businessMetrics.payments.inc({ outcome: "completed" });
  return paymentId!;
}
