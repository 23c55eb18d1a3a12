import { watchBulkUploadJob, watchOrder } from "../services/events/watch.js";
import { builder } from "./builder.js";
import { Job } from "./bulk-upload.js";
import { parseId } from "./fields.js";
import { freshEvent } from "./loaders.js";
import { OrderRef } from "./order.js";

/**
 * Live progress, over Server-Sent Events (POST or GET /graphql with
 * `Accept: text/event-stream`, the graphql-sse protocol's distinct
 * connections) or WebSocket (graphql-ws). Each streams the record now, then
 * on every change, and completes at its final state.
 */
builder.subscriptionType({
  description:
    "Live updates over Server-Sent Events (Accept: text/event-stream, graphql-sse) or WebSocket (graphql-ws). Each streams the record now, then after every change, and completes at its final state.",
});

builder.subscriptionFields((t) => ({
  bulkUploadJobProgress: t.field({
    authScopes: { admin: "see bulk upload jobs" },
    type: Job,
    description: "Admins only: a bulk import's status, counts and progress after every committed batch; completes with COMPLETED or FAILED. An unknown id is NOT_FOUND.",
    args: { id: t.arg.id({ required: true, description: "The job's id, a positive integer (else VALIDATION_FAILED)." }) },
    subscribe: (_root, args, ctx) => watchBulkUploadJob(ctx.principal, parseId(args.id)),
    resolve: (job, _args, ctx) => freshEvent(ctx, job),
  }),
  orderStatusChanged: t.field({
    authScopes: { signedIn: true },
    type: OrderRef,
    description:
      "Signed in: an order as its status moves (PENDING, PAID, PROCESSING, ...), for its owner or an admin; completes at FULFILLED, CANCELLED or FAILED. Unknown or another customer's is NOT_FOUND.",
    args: { orderId: t.arg.id({ required: true, description: "The order's id, a positive integer (else VALIDATION_FAILED)." }) },
    subscribe: (_root, args, ctx) => watchOrder(ctx.principal, parseId(args.orderId)),
    resolve: (order, _args, ctx) => freshEvent(ctx, order),
  }),
}));
