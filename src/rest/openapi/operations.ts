import { z } from "zod";
import type { Config } from "../../config.js";
import { MAX_ID } from "../../lib/validation.js";
import { checkoutInputSchema } from "../../services/checkout/input.js";
import { couponCode, couponInputSchema } from "../../services/coupons/input.js";
import { pageRequestSchema } from "../../services/pagination.js";
import { paymentInputSchema } from "../../services/payments/input.js";
import { productInputSchema } from "../../services/products/input.js";
import { bulkUploadQuery, sampleCsvParams, sampleCsvQuery } from "../products.js";
import { accepts, asText, describe, optional, withDecimalMoney, type JsonSchema } from "./json-schema.js";
import * as shapes from "./shapes.js";

/** Who may call an operation (docs/auth.md's roles table). */
export type Access = "anyone" | "customer" | "admin";

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 402 | 429 | 503;

export interface Operation {
  method: "get" | "post";
  /** OpenAPI path template: `/api/products/{productId}`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  access: Access;
  params?: Record<string, JsonSchema>;
  query?: JsonSchema;
  idempotencyKey?: "required" | "optional";
  body?: { content: Record<string, JsonSchema>; required: boolean };
  success: { status: 200 | 201 | 202; description: string; schema?: z.ZodType; csv?: true; headers?: ("Location" | "Link" | "X-Next-Cursor" | "Content-Disposition")[] };
  /** The errors this operation answers besides the ones every operation may (401 for a bad token, 5xx). */
  errors: ErrorStatus[];
}

/** A path id, typed as the integer the bodies carry (a generated client passes `order.id` as it is); the route accepts 1 to MAX_ID. */
const idParam: JsonSchema = { type: "integer", minimum: 1, maximum: MAX_ID };
const json = (schema: JsonSchema) => ({ content: { "application/json": schema }, required: true });
const csvBody = {
  content: {
    "multipart/form-data": {
      type: "object",
      properties: { file: { type: "string", contentMediaType: "text/csv", description: "The CSV file: header name,price,stockQuantity[,description,sku]." } },
      required: ["file"],
    },
    "text/csv": { type: "string", description: "The CSV itself as the body." },
  },
  required: true,
};

const ROLE_TEXT: Record<Access, string> = {
  anyone: "Anyone, without a token.",
  customer: "A signed-in customer (their own resources; another customer's are 404) or an admin.",
  admin: "Admins only: a customer gets 403, an anonymous caller 401.",
};
export const roleText = (access: Access) => ROLE_TEXT[access];

/** Every REST endpoint, with the validators its route uses. `GET /` lists the same routes; a test keeps the two equal. */
export function restOperations(config: Pick<Config, "DEFAULT_PAGE_SIZE" | "MAX_PAGE_SIZE" | "MAX_CHECKOUT_ITEMS">): Operation[] {
  const page = accepts(pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE));
  const rateLimited = 429 as const;
  return [
    {
      method: "get", path: "/api/products", operationId: "listProducts", tag: "Products", access: "anyone",
      summary: "List products, newest first",
      description: "A page of products. When there are more, `X-Next-Cursor` holds the next page's cursor and `Link` its URL.",
      query: page,
      success: { status: 200, description: "A page of products.", schema: z.array(shapes.Product), headers: ["X-Next-Cursor", "Link"] },
      errors: [400],
    },
    {
      method: "post", path: "/api/products", operationId: "createProduct", tag: "Products", access: "admin",
      summary: "Create a product",
      description: "A price of 0 also needs `allowZeroPrice: true`. A duplicate `sku` is 409 DUPLICATE.",
      body: json(withDecimalMoney(accepts(productInputSchema), { priceCents: "price" })),
      success: { status: 201, description: "The product; `Location` is its URL.", schema: shapes.Product, headers: ["Location"] },
      errors: [400, 403, 409],
    },
    {
      method: "get", path: "/api/products/{productId}", operationId: "getProduct", tag: "Products", access: "anyone",
      summary: "Look up a product", description: "One product by id.",
      params: { productId: idParam },
      success: { status: 200, description: "The product.", schema: shapes.Product },
      errors: [400, 404],
    },
    {
      method: "post", path: "/api/products/bulk-upload", operationId: "bulkUploadProducts", tag: "Imports", access: "admin",
      summary: "Import products from a CSV file (asynchronous)",
      description:
        "Streams the file to disk and queues a job; poll `Location` or subscribe to `bulkUploadJobProgress` over GraphQL. Rows are upserted by `sku`. With an `Idempotency-Key`, a retry of the same file answers the same job.",
      query: accepts(bulkUploadQuery),
      idempotencyKey: "optional",
      body: csvBody,
      success: { status: 202, description: "The queued job; `Location` is its URL.", schema: shapes.BulkUploadJob, headers: ["Location"] },
      errors: [400, 403, 422, rateLimited],
    },
    {
      method: "get", path: "/api/products/bulk-upload/{jobId}", operationId: "getBulkUploadJob", tag: "Imports", access: "admin",
      summary: "An import's status and progress", description: "Status, counts, progress from 0 to 1, and the first 100 row errors.",
      params: { jobId: idParam },
      success: { status: 200, description: "The job.", schema: shapes.BulkUploadJob },
      errors: [400, 403, 404],
    },
    {
      method: "get", path: "/api/products/bulk-upload/{jobId}/errors", operationId: "getBulkUploadJobErrors", tag: "Imports", access: "admin",
      summary: "Every row error of an import, as CSV", description: "Streamed: row, line, column, message.",
      params: { jobId: idParam },
      success: { status: 200, description: "The row errors.", csv: true, headers: ["Content-Disposition"] },
      errors: [400, 403, 404],
    },
    {
      method: "get", path: "/api/products/sample-csv/{rows}", operationId: "getSampleCsv", tag: "Imports", access: "admin",
      summary: "A generated CSV to try the import with", description: "Streamed; `invalidFraction` of the rows are made invalid on purpose.",
      params: { rows: asText(accepts(sampleCsvParams.shape.rows)) },
      query: accepts(sampleCsvQuery),
      success: { status: 200, description: "The CSV.", csv: true, headers: ["Content-Disposition"] },
      errors: [400, 403],
    },
    {
      method: "post", path: "/api/checkout", operationId: "checkout", tag: "Checkout", access: "customer",
      summary: "Place an order, and pay it when a payment method is given",
      description:
        "Idempotent: a retry with the same key and body replays the first answer (`Idempotent-Replayed: true`); the same key with another body is 422. Without `paymentMethod` the order is PENDING with its stock reserved. A customer leaves `userId` out (or sends their own); an admin names the customer.",
      idempotencyKey: "required",
      body: json(describe(optional(accepts(checkoutInputSchema(config.MAX_CHECKOUT_ITEMS)), "userId"), "userId", "The customer; customers leave it out.")),
      success: { status: 201, description: "The order (paid when a payment method was given).", schema: shapes.CheckoutResult },
      errors: [400, 402, 403, 404, 409, 422, rateLimited, 503],
    },
    {
      method: "post", path: "/api/checkout/{orderId}/apply-coupon", operationId: "applyCoupon", tag: "Checkout", access: "customer",
      summary: "Apply a coupon to a pending order", description: "One coupon per order; the order must still be PENDING.",
      params: { orderId: idParam },
      body: json(accepts(z.strictObject({ couponCode }))),
      success: { status: 200, description: "The order's new totals.", schema: shapes.AppliedCoupon },
      errors: [400, 404, 409, 422, rateLimited],
    },
    {
      method: "get", path: "/api/checkout/coupons", operationId: "listCoupons", tag: "Checkout", access: "admin",
      summary: "Active coupons", description: "Coupons that are active and not expired.",
      success: { status: 200, description: "The coupons.", schema: z.array(shapes.Coupon) },
      errors: [403],
    },
    {
      method: "post", path: "/api/checkout/coupons", operationId: "createCoupon", tag: "Checkout", access: "admin",
      summary: "Create a coupon",
      description: "Typed: PERCENTAGE with `percentOff` (15.25 is 15.25 %), or FIXED_AMOUNT with `amountOff` (dollars) or `amountOffCents`. The storefront's legacy `{code, discount}` (\"15\", \"15%\", 15) is still taken as a percentage.",
      body: json(restCouponBody()),
      success: { status: 201, description: "The coupon.", schema: shapes.Coupon },
      errors: [400, 403, 409],
    },
    ...(["process", "process-simple"] as const).map(
      (name): Operation => ({
        method: "post", path: `/api/payments/${name}`, operationId: name === "process" ? "processPayment" : "processPaymentWithoutFraudCheck", tag: "Payments",
        access: name === "process" ? "customer" : "admin",
        summary: name === "process" ? "Pay an order (with the fraud check)" : "Pay an order without the fraud check (admins)",
        description:
          "Idempotent like checkout. `amount` may be left out; when sent it must equal the order's total (else 422 AMOUNT_MISMATCH). The simulated gateway declines card 0002 (402).",
        idempotencyKey: "required",
        body: json(withDecimalMoney(accepts(paymentInputSchema), { amountCents: "amount" })),
        success: { status: 200, description: "The completed payment.", schema: shapes.PaymentResult },
        errors: name === "process" ? [400, 402, 404, 409, 422, rateLimited, 503] : [400, 402, 403, 404, 409, 422, rateLimited, 503],
      }),
    ),
    {
      method: "get", path: "/api/payments/{paymentId}", operationId: "getPayment", tag: "Payments", access: "customer",
      summary: "Look up a payment", description: "A payment with a summary of its order.",
      params: { paymentId: idParam },
      success: { status: 200, description: "The payment.", schema: shapes.PaymentWithOrder },
      errors: [400, 404],
    },
    {
      method: "post", path: "/api/orders/{orderId}/fulfill", operationId: "fulfillOrder", tag: "Orders", access: "admin",
      summary: "Ship a paid order",
      description: "Books a label with the shipping provider. Safe to repeat: a fulfilled order answers its shipment again. Only PAID orders can be fulfilled (else 409 ORDER_NOT_PAID).",
      params: { orderId: idParam },
      success: { status: 200, description: "The shipment.", schema: shapes.FulfillmentResult },
      errors: [400, 403, 404, 409, 422, 503],
    },
    {
      method: "get", path: "/api/orders/{orderId}", operationId: "getOrder", tag: "Orders", access: "customer",
      summary: "Look up an order", description: "An order with its lines (each with its product), payments and shipment.",
      params: { orderId: idParam },
      success: { status: 200, description: "The order.", schema: shapes.Order },
      errors: [400, 404],
    },
    {
      method: "get", path: "/api/orders/user/{userId}", operationId: "listUserOrders", tag: "Orders", access: "customer",
      summary: "A customer's orders, newest first", description: "Paged like the products list.",
      params: { userId: idParam },
      query: page,
      success: { status: 200, description: "A page of orders.", schema: z.array(shapes.Order), headers: ["X-Next-Cursor", "Link"] },
      errors: [400, 404],
    },
  ];
}

/** The coupon bodies the REST door takes (rest/translate.ts): the service's typed forms with decimal `amountOff`, cents too, and the legacy `discount`. */
function restCouponBody(): JsonSchema {
  const typed = accepts(couponInputSchema).oneOf as JsonSchema[];
  const [percentage, fixed] = typed as [JsonSchema, JsonSchema];
  const { type: _, percentOff: __, ...common } = percentage.properties as Record<string, JsonSchema>;
  const legacy = {
    type: "object",
    properties: { ...common, discount: { type: ["number", "string"], description: 'The legacy percentage: 15, "15" or "15%".' } },
    required: ["code", "discount"],
    additionalProperties: false,
  };
  return { oneOf: [percentage, withDecimalMoney(fixed, { amountOffCents: "amountOff" }), fixed, legacy] };
}
