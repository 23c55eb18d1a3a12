import { Gauge, type Metric } from "prom-client";
import { db } from "../../db/index.js";

/**
 * Gauges read from the database at scrape time: what the alerts on backlog,
 * waiting paid orders and stuck bulk jobs look at. Each is one cheap query.
 */
export function databaseGauges(): Metric[] {
  const ageSeconds = (date: Date | undefined) => (date ? Math.max(0, (Date.now() - date.getTime()) / 1000) : 0);
  return [
    new Gauge({
      name: "outbox_pending",
      help: "Outbox events waiting for delivery",
      registers: [],
      async collect() {
        this.set(await db().outboxEvent.count({ where: { status: "PENDING" } }));
      },
    }),
    new Gauge({
      name: "outbox_dead_letters",
      help: "Outbox events that failed every delivery attempt",
      registers: [],
      async collect() {
        this.set(await db().outboxEvent.count({ where: { status: "FAILED" } }));
      },
    }),
    new Gauge({
      name: "orders_awaiting_fulfillment",
      help: "Orders PAID and not yet fulfilled",
      registers: [],
      async collect() {
        this.set(await db().order.count({ where: { status: "PAID" } }));
      },
    }),
    new Gauge({
      name: "orders_awaiting_fulfillment_oldest_age_seconds",
      help: "Age of the oldest PAID order waiting for fulfilment",
      registers: [],
      async collect() {
        const oldest = await db().order.findFirst({ where: { status: "PAID" }, orderBy: { paidAt: "asc" }, select: { paidAt: true } });
        this.set(ageSeconds(oldest?.paidAt ?? undefined));
      },
    }),
    new Gauge({
      name: "refunds_pending_oldest_age_seconds",
      help: "Age of the oldest refund still PENDING (the gateway not yet asked, or unavailable); the maintenance pass finishes those past the idempotency lock timeout",
      registers: [],
      async collect() {
        const oldest = await db().refund.findFirst({ where: { status: "PENDING" }, orderBy: { createdAt: "asc" }, select: { createdAt: true } });
        this.set(ageSeconds(oldest?.createdAt));
      },
    }),
    new Gauge({
      name: "bulk_jobs_processing_stale_seconds",
      help: "Longest time since a PROCESSING bulk job last committed a batch",
      registers: [],
      async collect() {
        const stale = await db().bulkUploadJob.findFirst({ where: { status: "PROCESSING" }, orderBy: { updatedAt: "asc" }, select: { updatedAt: true } });
        this.set(ageSeconds(stale?.updatedAt));
      },
    }),
  ];
}
