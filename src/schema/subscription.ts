import { watchBulkUploadJob, watchOrder } from "../services/events/watch.js";
import { builder } from "./builder.js";
import { Job } from "./bulk-upload.js";
import { parseId } from "./fields.js";
import { OrderRef } from "./order.js";

/**
 * Live progress, over Server-Sent Events (POST or GET /graphql with
 * `Accept: text/event-stream`, the graphql-sse protocol's distinct
 * connections) or WebSocket (graphql-ws). Each streams the record now, then
 * on every change, and completes at its final state.
 */
builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  bulkUploadJobProgress: t.field({
    authScopes: { admin: "see bulk upload jobs" },
    type: Job,
    description: "A bulk import's status, counts and progress after every committed batch; completes with COMPLETED or FAILED. Admins only.",
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => watchBulkUploadJob(ctx.principal, parseId(args.id)),
    resolve: (job) => job,
  }),
  orderStatusChanged: t.field({
    authScopes: { signedIn: true },
    type: OrderRef,
    description: "An order as its status moves (PENDING, PAID, PROCESSING, ...); completes at FULFILLED, CANCELLED or FAILED. Its owner or an admin.",
    args: { orderId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => watchOrder(ctx.principal, parseId(args.orderId)),
    resolve: (order) => order,
  }),
}));
