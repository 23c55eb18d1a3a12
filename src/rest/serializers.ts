import { toDecimalNumber, type Cents } from "../lib/money.js";
import type { Product, ProductRecord } from "../services/products/index.js";
import type { OrderDetails } from "../services/orders/index.js";
import type { PaymentDetails, PaymentResult } from "../services/payments/index.js";
import type { AppliedCoupon, Coupon } from "../services/coupons/index.js";
import type { BulkUploadJob } from "../services/bulk-import/index.js";
import { jobProgress } from "../services/bulk-import/index.js";
import type { CheckoutResult } from "../services/checkout/index.js";
import type { FulfillmentResult } from "../services/fulfillment/index.js";
import type { AuditEvent } from "../services/audit/index.js";
import type { Refund, RefundResult } from "../services/refunds/index.js";
import type { z } from "zod";
import type * as shapes from "./openapi/shapes.js";
import type { Wire } from "./openapi/shapes.js";

/** The JSON of a documented shape (the OpenAPI document's components): the compiler keeps each serializer true to it. */
type Json<S extends z.ZodType> = Wire<z.output<S>>;

/** The storefront reads decimal amounts; each has its exact integer twin beside it. */
export const money = (cents: number) => toDecimalNumber(cents as Cents);

/** Timestamps print the same from a Date or from the stored ISO text. */
export function productJson(p: Product | ProductRecord): Json<typeof shapes.Product> {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    price: money(p.priceCents),
    priceCents: p.priceCents,
    stockQuantity: p.stockQuantity,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

type Payment = Omit<PaymentDetails, "order">;

export function paymentJson(p: Payment): Json<typeof shapes.Payment> {
  return {
    id: p.id,
    orderId: p.orderId,
    status: p.status,
    amount: money(p.amountCents),
    amountCents: p.amountCents,
    paymentMethod: p.paymentMethod,
    cardLast4: p.cardLast4,
    fraudScore: p.fraudScore,
    failureCode: p.failureCode,
    failureMessage: p.failureMessage,
    refundedAmount: money(p.refundedCents),
    refundedCents: p.refundedCents,
    refunds: p.refunds.map(refundJson),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

type RefundFields = Pick<Refund, "id" | "paymentId" | "amountCents" | "status" | "reason"> & { createdAt: Date | string };

export function refundJson(r: RefundFields): Json<typeof shapes.Refund> {
  return { id: r.id, paymentId: r.paymentId, amount: money(r.amountCents), amountCents: r.amountCents, status: r.status, reason: r.reason, createdAt: r.createdAt };
}

export function refundResultJson({ refund, payment }: RefundResult): Json<typeof shapes.RefundResult> {
  return {
    refund: refundJson(refund),
    payment: {
      id: payment.id,
      orderId: payment.orderId,
      status: payment.status,
      amount: money(payment.amountCents),
      amountCents: payment.amountCents,
      refundedAmount: money(payment.refundedCents),
      refundedCents: payment.refundedCents,
    },
  };
}

export function orderJson(o: OrderDetails): Json<typeof shapes.Order> {
  return {
    id: o.id,
    userId: o.userId,
    status: o.status,
    subtotal: money(o.subtotalCents),
    subtotalCents: o.subtotalCents,
    discountAmount: money(o.discountCents),
    discountCents: o.discountCents,
    total: money(o.totalCents),
    totalCents: o.totalCents,
    couponCode: o.coupon?.code ?? null,
    reservedUntil: o.reservedUntil,
    failureReason: o.failureReason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    items: o.items.map((i) => ({
      id: i.id,
      productId: i.productId,
      quantity: i.quantity,
      unitPrice: money(i.unitPriceCents),
      unitPriceCents: i.unitPriceCents,
      lineTotal: money(i.lineTotalCents),
      lineTotalCents: i.lineTotalCents,
      product: productJson(i.product),
    })),
    payments: o.payments.map(paymentJson),
    shipment: o.shipment && {
      id: o.shipment.id,
      carrier: o.shipment.carrier,
      trackingNumber: o.shipment.trackingNumber,
      createdAt: o.shipment.createdAt,
    },
  };
}

export function paymentWithOrderJson(p: PaymentDetails): Json<typeof shapes.PaymentWithOrder> {
  const { order } = p;
  return {
    ...paymentJson(p),
    order: {
      id: order.id,
      userId: order.userId,
      status: order.status,
      total: money(order.totalCents),
      totalCents: order.totalCents,
      createdAt: order.createdAt,
    },
  };
}

export function couponJson(c: Coupon): Json<typeof shapes.Coupon> {
  return {
    id: c.id,
    code: c.code,
    type: c.type,
    percentOff: c.percentOffBps === null ? null : c.percentOffBps / 100,
    amountOff: c.amountOffCents === null ? null : money(c.amountOffCents),
    amountOffCents: c.amountOffCents,
    description: c.description,
    expiresAt: c.expiresAt,
    maxRedemptions: c.maxRedemptions,
    redemptionCount: c.redemptionCount,
    minSubtotal: c.minSubtotalCents === null ? null : money(c.minSubtotalCents),
    minSubtotalCents: c.minSubtotalCents,
  };
}

export function bulkUploadJobJson(job: BulkUploadJob): Json<typeof shapes.BulkUploadJob> {
  return {
    id: job.id,
    status: job.status,
    fileName: job.fileName,
    dryRun: job.dryRun,
    allowZeroPrices: job.allowZeroPrices,
    totalRows: job.totalRows,
    processedRows: job.processedRows,
    succeededRows: job.succeededRows,
    failedRows: job.failedRows,
    progress: jobProgress(job),
    errorMessage: job.errorMessage,
    errors: job.errors.map((e) => ({ row: e.row, line: e.line, column: e.column, message: e.message })),
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export function checkoutJson(r: CheckoutResult): Json<typeof shapes.CheckoutResult> {
  return {
    success: true as const,
    orderId: r.orderId,
    paymentId: r.paymentId,
    status: r.status,
    subtotal: money(r.subtotalCents),
    subtotalCents: r.subtotalCents,
    discountAmount: money(r.discountCents),
    discountCents: r.discountCents,
    total: money(r.totalCents),
    totalCents: r.totalCents,
    message: r.message,
  };
}

export function appliedCouponJson(a: AppliedCoupon): Json<typeof shapes.AppliedCoupon> {
  return {
    orderId: a.orderId,
    couponCode: a.couponCode,
    originalTotal: money(a.originalTotalCents),
    discountAmount: money(a.discountCents),
    finalTotal: money(a.finalTotalCents),
    originalTotalCents: a.originalTotalCents,
    discountCents: a.discountCents,
    finalTotalCents: a.finalTotalCents,
  };
}

export function paymentResultJson(r: PaymentResult): Json<typeof shapes.PaymentResult> {
  return {
    success: true as const,
    paymentId: r.paymentId,
    orderId: r.orderId,
    status: r.status,
    amount: money(r.amountCents),
    amountCents: r.amountCents,
    fraudScore: r.fraudScore,
    message: r.message,
  };
}

export function fulfillmentJson(r: FulfillmentResult): Json<typeof shapes.FulfillmentResult> {
  return {
    success: true as const,
    orderId: r.orderId,
    status: r.status,
    carrier: r.carrier,
    trackingNumber: r.trackingNumber,
    message: r.alreadyFulfilled ? "Order was already fulfilled" : "Order fulfilled",
  };
}

export function auditEventJson(e: AuditEvent): Json<typeof shapes.AuditEvent> {
  return {
    id: e.id,
    actor: e.actor,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    details: e.details,
    requestId: e.requestId,
    createdAt: e.createdAt,
  };
}
