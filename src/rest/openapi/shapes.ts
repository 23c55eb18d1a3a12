import { z } from "zod";
import { BulkUploadJobStatus, CouponType, OrderStatus, PaymentStatus, RefundStatus } from "../../generated/sqlite/enums.js";
import { errorStatus } from "../../errors.js";

/**
 * What the REST shim answers, as zod schemas: the OpenAPI document's
 * components are generated from them, and the serializers' return types are
 * checked against them (`Wire`), so the document cannot drift from the code.
 */

/** The JSON a serializer may return for a documented shape: a timestamp may still be a Date (JSON writes it as ISO text). */
export type Wire<T> = T extends string ? T | Date : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export const components = z.registry<{ id: string; description?: string }>();

const id = (what: string) => z.int().positive().meta({ description: `The ${what}'s id.` });
const timestamp = (what: string) => z.iso.datetime({ offset: true }).meta({ description: `${what} (ISO 8601, UTC).` });
const cents = (what: string) => z.int().meta({ description: `${what}, in integer cents (USD).` });
const decimal = (what: string) => z.number().meta({ description: `${what} in dollars, for display; the \`Cents\` twin is exact.` });
const nullable = <S extends z.ZodType>(schema: S) => schema.nullable();

export const ErrorBody = z
  .strictObject({
    error: z.string().meta({ description: "What went wrong, for a person to read." }),
    code: z.enum(Object.keys(errorStatus) as [keyof typeof errorStatus]).meta({ description: "Stable machine-readable code; the same as GraphQL's `extensions.code`." }),
    details: z.record(z.string(), z.unknown()).optional().meta({ description: "Structured detail: `fields` (each `{field, message}`) for VALIDATION_FAILED." }),
    requestId: z.string().meta({ description: "The request's id (also in `x-request-id`); quote it when reporting a problem." }),
  })
  .register(components, { id: "Error", description: "Every error answer of the REST shim." });

export const Product = z
  .strictObject({
    id: id("product"),
    sku: nullable(z.string()).meta({ description: "The merchant's stock-keeping unit, unique when set." }),
    name: z.string(),
    description: nullable(z.string()),
    price: decimal("The price"),
    priceCents: cents("The price"),
    stockQuantity: z.int().min(0).meta({ description: "Units still available for sale (reserved units are already taken off)." }),
    createdAt: timestamp("When the product was created"),
    updatedAt: timestamp("When the product last changed"),
  })
  .register(components, { id: "Product", description: "A product of the catalogue." });

export const Refund = z
  .strictObject({
    id: id("refund"),
    paymentId: id("payment"),
    amount: decimal("The amount given back"),
    amountCents: cents("The amount given back"),
    status: z.enum(RefundStatus).meta({ description: "PENDING while the card gateway is asked (a crashed attempt's refund is finished by its retry or the reconciliation pass), then SUCCEEDED or FAILED." }),
    reason: nullable(z.string()),
    createdAt: timestamp("When the refund was asked for"),
  })
  .register(components, { id: "Refund", description: "A refund of part or all of a payment." });

export const Payment = z
  .strictObject({
    id: id("payment"),
    orderId: id("order"),
    status: z.enum(PaymentStatus),
    amount: decimal("The amount"),
    amountCents: cents("The amount"),
    paymentMethod: z.string(),
    cardLast4: nullable(z.string()),
    fraudScore: nullable(z.number().min(0).max(1)).meta({ description: "The fraud service's score from 0 (safe) to 1; null when no check ran." }),
    failureCode: nullable(z.string()).meta({ description: "Why the payment failed, e.g. card_declined or fraud_rejected." }),
    failureMessage: nullable(z.string()),
    refundedAmount: decimal("What succeeded refunds gave back"),
    refundedCents: cents("What succeeded refunds gave back"),
    refunds: z.array(Refund).meta({ description: "Its refunds, oldest first." }),
    createdAt: timestamp("When the payment was attempted"),
    updatedAt: timestamp("When the payment last changed"),
  })
  .register(components, { id: "Payment", description: "One payment attempt of an order." });

const OrderLine = z.strictObject({
  id: id("order line"),
  productId: id("product"),
  quantity: z.int().positive(),
  unitPrice: decimal("The unit price when the order was placed"),
  unitPriceCents: cents("The unit price when the order was placed"),
  lineTotal: decimal("quantity × unit price"),
  lineTotalCents: cents("quantity × unit price"),
  product: Product,
});

/** An order's money, as the order and the checkout's answer show it. */
const orderTotals = {
  subtotal: decimal("The sum of the lines"),
  subtotalCents: cents("The sum of the lines"),
  discountAmount: decimal("The coupon's discount"),
  discountCents: cents("The coupon's discount"),
  total: decimal("What the customer pays"),
  totalCents: cents("What the customer pays: subtotalCents - discountCents"),
};

export const Order = z
  .strictObject({
    id: id("order"),
    userId: id("customer"),
    status: z.enum(OrderStatus),
    ...orderTotals,
    couponCode: nullable(z.string()),
    reservedUntil: nullable(timestamp("Until when an unpaid order holds its stock")),
    failureReason: nullable(z.string()),
    createdAt: timestamp("When the order was placed"),
    updatedAt: timestamp("When the order last changed"),
    items: z.array(OrderLine),
    payments: z.array(Payment),
    shipment: nullable(
      z.strictObject({ id: id("shipment"), carrier: z.string(), trackingNumber: z.string(), createdAt: timestamp("When the label was made") }),
    ),
  })
  .register(components, { id: "Order", description: "An order with its lines (each with its product), payments and shipment." });

export const PaymentWithOrder = z
  .strictObject({
    ...Payment.shape,
    order: z.strictObject({
      id: id("order"),
      userId: id("customer"),
      status: z.enum(OrderStatus),
      total: decimal("The order's total"),
      totalCents: cents("The order's total"),
      createdAt: timestamp("When the order was placed"),
    }),
  })
  .register(components, { id: "PaymentWithOrder", description: "A payment with a summary of its order." });

export const Coupon = z
  .strictObject({
    id: id("coupon"),
    code: z.string().meta({ description: "Upper-cased; matched case-insensitively." }),
    type: z.enum(CouponType),
    percentOff: nullable(z.number()).meta({ description: "For PERCENTAGE coupons: percent off the subtotal (15.25 is 15.25 %)." }),
    amountOff: nullable(z.number()).meta({ description: "For FIXED_AMOUNT coupons: dollars off." }),
    amountOffCents: nullable(z.int()).meta({ description: "For FIXED_AMOUNT coupons: cents off." }),
    description: nullable(z.string()),
    expiresAt: nullable(timestamp("When the coupon stops applying")),
    maxRedemptions: nullable(z.int()),
    redemptionCount: z.int().min(0),
    minSubtotal: nullable(z.number()),
    minSubtotalCents: nullable(z.int()),
  })
  .register(components, { id: "Coupon", description: "A typed coupon." });

export const AppliedCoupon = z
  .strictObject({
    orderId: id("order"),
    couponCode: z.string(),
    originalTotal: decimal("The total before the coupon"),
    discountAmount: decimal("The discount"),
    finalTotal: decimal("The total to pay"),
    originalTotalCents: cents("The total before the coupon"),
    discountCents: cents("The discount"),
    finalTotalCents: cents("The total to pay"),
  })
  .register(components, { id: "AppliedCoupon", description: "An order's totals after a coupon was applied." });

export const BulkUploadJob = z
  .strictObject({
    id: id("job"),
    status: z.enum(BulkUploadJobStatus),
    fileName: nullable(z.string()),
    dryRun: z.boolean().meta({ description: "Validate only: no product is written." }),
    allowZeroPrices: z.boolean(),
    totalRows: nullable(z.int()).meta({ description: "Known once the file has been counted." }),
    processedRows: z.int(),
    succeededRows: z.int(),
    failedRows: z.int(),
    progress: z.number().min(0).max(1).meta({ description: "From 0 to 1." }),
    errorMessage: nullable(z.string()).meta({ description: "Why the whole job failed (a FAILED job)." }),
    errors: z
      .array(z.strictObject({ row: z.int(), line: z.int(), column: nullable(z.string()), message: z.string() }))
      .meta({ description: "The first 100 row errors; GET .../errors streams them all as CSV." }),
    createdAt: timestamp("When the upload was received"),
    startedAt: nullable(timestamp("When a worker first claimed the job")),
    finishedAt: nullable(timestamp("When the job ended")),
  })
  .register(components, { id: "BulkUploadJob", description: "An asynchronous CSV import and its progress." });

export const CheckoutResult = z
  .strictObject({
    success: z.literal(true),
    orderId: id("order"),
    paymentId: nullable(z.int().positive()).meta({ description: "The payment made at checkout; null for a pay-later or a 0-cent order." }),
    status: z.enum(OrderStatus),
    ...orderTotals,
    message: z.string(),
  })
  .register(components, { id: "CheckoutResult", description: "The order a checkout placed (and paid, with a payment method)." });

export const PaymentResult = z
  .strictObject({
    success: z.literal(true),
    paymentId: id("payment"),
    orderId: id("order"),
    status: z.literal("COMPLETED"),
    amount: decimal("The amount charged"),
    amountCents: cents("The amount charged"),
    fraudScore: nullable(z.number().min(0).max(1)),
    message: z.string(),
  })
  .register(components, { id: "PaymentResult", description: "A completed payment." });

export const FulfillmentResult = z
  .strictObject({
    success: z.literal(true),
    orderId: id("order"),
    status: z.literal("FULFILLED"),
    carrier: z.string(),
    trackingNumber: z.string(),
    message: z.string(),
  })
  .register(components, { id: "FulfillmentResult", description: "A fulfilled order's shipment (the same answer when it was already fulfilled)." });

export const AuditEvent = z
  .strictObject({
    id: id("event"),
    actor: z.string().meta({ description: "Who: the admin token's `sub`." }),
    action: z.string().meta({ description: "What, as `<subject>.<verb>`: `product.create`, `coupon.create`, `order.fulfill`, ... (docs/auth.md)." }),
    subjectType: z.string().meta({ description: "The kind of record written: Product, BulkUploadJob, Coupon, Order or Payment." }),
    subjectId: z.string().meta({ description: "The record's id, as text." }),
    details: nullable(z.record(z.string(), z.unknown())).meta({ description: "What the admin asked for (prices, flags, amounts); null when nothing was recorded." }),
    requestId: nullable(z.string()).meta({ description: "The request that made the write (its `x-request-id`)." }),
    createdAt: timestamp("When the write committed"),
  })
  .register(components, { id: "AuditEvent", description: "One admin write, recorded in the write's own transaction." });

export const AuditEventPage = z
  .strictObject({
    events: z.array(AuditEvent).meta({ description: "Newest first." }),
    nextCursor: nullable(z.string()).meta({ description: "Send it as `cursor` for the next page; null on the last page." }),
  })
  .register(components, { id: "AuditEventPage", description: "A page of the audit trail." });

export const RefundResult = z
  .strictObject({
    refund: Refund,
    payment: z.strictObject({
      id: id("payment"),
      orderId: id("order"),
      status: z.enum(PaymentStatus).meta({ description: "COMPLETED while some of it is left to refund; REFUNDED once refunds gave all of it back." }),
      amount: decimal("The amount charged"),
      amountCents: cents("The amount charged"),
      refundedAmount: decimal("What succeeded refunds gave back, this one included"),
      refundedCents: cents("What succeeded refunds gave back, this one included"),
    }),
  })
  .register(components, { id: "RefundResult", description: "A refund and its payment as the refund left it." });
