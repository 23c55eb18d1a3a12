import { sqlTransaction } from "../../db/sql.js";
import { settings } from "../common/index.js";
import { callProvider, simulatedLatency } from "./guard.js";
import { receive } from "./sink-sql.js";

export class EmailDeliveryError extends Error {}

/**
 * The simulated e-mail provider: fails a share EMAIL_FAILURE_RATE of sends,
 * and sends once per dedupe key as real providers' idempotency keys do (a
 * redelivered outbox event is not a second e-mail).
 */
export function sendEmail(message: { to: string; template: string; data: Record<string, unknown>; dedupeKey: string }): Promise<void> {
  return callProvider("email-provider", "send", async () => {
    await simulatedLatency(5, 2_000);
    if (Math.random() < settings().email.failureRate) throw new EmailDeliveryError(`could not send ${message.template}`);
    await sqlTransaction((sql) => receive(sql, "email", message.dedupeKey, new Date()));
  });
}

/** The simulated analytics sink: accepting the event is delivering it, once per dedupe key. */
export function trackEvent(dedupeKey: string): Promise<void> {
  return callProvider("analytics-sink", "track", () => sqlTransaction((sql) => receive(sql, "analytics", dedupeKey, new Date())));
}
