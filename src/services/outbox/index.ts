import { sqlTransaction } from "../../db/index.js";
import type { Logger } from "../../lib/logger.js";
import { startPeriodic } from "../../lib/periodic.js";
import { fulfillmentMetrics } from "../../lib/metrics.js";
import { failSpan, linkTo, SpanKind, withSpan, type Span } from "../../lib/tracing.js";
import { sendEmail, trackEvent } from "../external/index.js";
import { userById } from "../users/index.js";
import { claimEvent, dueEvents, markDelivered, markFailedAttempt, type OutboxEvent } from "./sql.js";

const BATCH = 50;

export interface OutboxWorker {
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Delivers outbox events (written in the same transaction as the state change
 * that caused them) with retries and exponential backoff; after maxAttempts an
 * event is FAILED (a dead letter, alerted on) instead of retried forever.
 * A delivery failure never touches the order: fulfilment has already succeeded.
 */
/** `claimMs`: how long a claimed event is hidden from other workers while it is delivered (a crashed worker's events wait that long). */
export function startOutboxWorker(options: { pollMs: number; claimMs: number; maxAttempts: number; logger: Logger }): OutboxWorker {
  const log = options.logger.child({ component: "outbox" });
  return startPeriodic(
    options.pollMs,
    async () => {
      let delivered = 0;
      for (const event of await claimDue(options.claimMs)) if (await deliver(event, options.maxAttempts, log)) delivered++;
      return delivered;
    },
    (error) => {
      log.error({ err: error }, "outbox pass failed");
      return 0;
    },
  );
}

/** Claims due events with a conditional update per event (one taker across processes). */
async function claimDue(claimMs: number, now = new Date()): Promise<OutboxEvent[]> {
  const due = await dueEvents(now, BATCH);
  if (due.length === 0) return [];
  const until = new Date(now.getTime() + claimMs);
  return sqlTransaction(async (sql) => {
    const claimed = [];
    for (const event of due) if (await claimEvent(sql, event, until)) claimed.push(event);
    return claimed;
  });
}

/** Each delivery is a span of its own, linked to the request that stored the event (a poll serves many requests' events). */
function deliver(event: OutboxEvent, maxAttempts: number, logger: Logger): Promise<boolean> {
  const attributes = { "messaging.system": "outbox", "messaging.operation.type": "process", "messaging.destination.name": event.type, "messaging.message.id": String(event.id) };
  return withSpan(`outbox deliver ${event.type}`, { kind: SpanKind.CONSUMER, attributes, links: linkTo(event.traceContext) }, (span) =>
    deliverOnce(event, maxAttempts, logger, span),
  );
}

async function deliverOnce(event: OutboxEvent, maxAttempts: number, logger: Logger, span?: Span): Promise<boolean> {
  const log = logger.child({ requestId: event.requestId ?? undefined, eventId: event.id, type: event.type });
  const attempts = event.attempts + 1;
  try {
    const handler = handlers[event.type];
    if (!handler) throw new Error(`no handler for ${event.type}`);
    // The consumers dedupe by the event: a delivery repeated after a crash is applied once.
    await handler(JSON.parse(event.payload) as Record<string, unknown>, `outbox:${event.id}`);
    await sqlTransaction((sql) => markDelivered(sql, event.id, attempts, new Date()));
    fulfillmentMetrics.outboxDeliveries.inc({ type: event.type, outcome: "delivered" });
    log.info({ attempts, outcome: "delivered" }, "outbox event delivered");
    return true;
  } catch (error) {
    if (span) failSpan(span, error);
    const failed = attempts >= maxAttempts;
    const backoffMs = Math.min(2 ** attempts * 1_000, 15 * 60_000);
    const change = { attempts, dead: failed, lastError: (error as Error).message.slice(0, 500), nextAttemptAt: new Date(Date.now() + backoffMs) };
    await sqlTransaction((sql) => markFailedAttempt(sql, event.id, change));
    fulfillmentMetrics.outboxDeliveries.inc({ type: event.type, outcome: failed ? "dead" : "retry" });
    log.warn({ attempts, outcome: failed ? "dead" : "retry", err: error }, "outbox delivery failed");
    return false;
  }
}

/** An e-mail to the customer the event names (payload.userId), with the event as its data. */
const emailCustomer = (template: string) => async (payload: Record<string, unknown>, dedupeKey: string) => {
  const user = await userById(Number(payload.userId));
  if (!user) return;
  await sendEmail({ to: user.email, template, data: payload, dedupeKey });
};

const handlers: Record<string, (payload: Record<string, unknown>, dedupeKey: string) => Promise<void>> = {
  "email.order_fulfilled": emailCustomer("order_fulfilled"),
  "analytics.order_fulfilled": (_payload, dedupeKey) => trackEvent(dedupeKey),
  "order.cancelled": emailCustomer("order_cancelled"),
  "payment.refunded": emailCustomer("payment_refunded"),
};

