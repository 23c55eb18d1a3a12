import { readFileSync } from "node:fs";
import { z } from "zod";
import { MAX_ID } from "../../lib/validation.js";
import type { Access, ErrorStatus, RestRoute } from "../route-table.js";
import { accepts, type JsonSchema } from "./json-schema.js";
import { components } from "./shapes.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const ref = (kind: "schemas" | "responses" | "parameters" | "headers", name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** "Who may call it", by the route's `access` (docs/auth.md's roles table). */
const ROLE_TEXT: Record<Access, string> = {
  anyone: "Anyone, without a token.",
  customer: "A signed-in customer (their own resources; another customer's are 404) or an admin.",
  admin: "Admins only: a customer gets 403, an anonymous caller 401.",
};

/** A path id, typed as the integer the bodies carry (a generated client passes `order.id` as it is); the route accepts 1 to MAX_ID. */
const ID_PARAM: JsonSchema = { type: "integer", minimum: 1, maximum: MAX_ID };

/** The error answers, one per status, each with the codes it carries (from errors.ts's table, as docs/api.md lists them). */
const ERROR_RESPONSES: Record<ErrorStatus | "default", { name: string; description: string; headers?: string[] }> = {
  400: { name: "BadRequest", description: "VALIDATION_FAILED (`details.fields` names each bad field), IDEMPOTENCY_KEY_REQUIRED or CSRF_PREFLIGHT_REQUIRED." },
  401: { name: "Unauthorized", description: "UNAUTHENTICATED: no token where one is needed, or a bad one.", headers: ["WWW-Authenticate"] },
  402: { name: "PaymentRequired", description: "PAYMENT_DECLINED or FRAUD_REJECTED: nothing was charged and the order stays payable." },
  403: { name: "Forbidden", description: "FORBIDDEN: the caller's role may not do this." },
  404: { name: "NotFound", description: "NOT_FOUND (also for another customer's order or payment) or COUPON_NOT_FOUND." },
  409: {
    name: "Conflict",
    description:
      "INSUFFICIENT_STOCK, ORDER_NOT_PENDING, ORDER_NOT_PAID, COUPON_ALREADY_APPLIED, DUPLICATE, REFUND_EXCEEDS_REMAINING, PAYMENT_NOT_REFUNDABLE, ORDER_NOT_CANCELLABLE, ORDER_ALREADY_FULFILLED, or IDEMPOTENCY_KEY_IN_USE (retry after `Retry-After`).",
  },
  422: { name: "Unprocessable", description: "IDEMPOTENCY_KEY_REUSED, AMOUNT_MISMATCH, COUPON_EXPIRED, COUPON_EXHAUSTED or FULFILLMENT_FAILED." },
  502: { name: "BadGateway", description: "REFUND_FAILED: the card gateway did not refund; nothing was refunded. Retry with the same idempotency key to continue.", headers: ["Retry-After"] },
  429: { name: "TooManyRequests", description: "RATE_LIMITED: retry after `Retry-After` seconds.", headers: ["Retry-After"] },
  503: { name: "Unavailable", description: "A dependency is down (FRAUD_CHECK_UNAVAILABLE, PAYMENT_GATEWAY_UNAVAILABLE, SHIPPING_UNAVAILABLE, DATABASE_UNAVAILABLE) or the server is at capacity (OVERLOADED): nothing was done twice; retry after `Retry-After` with the same idempotency key.", headers: ["Retry-After"] },
  default: { name: "Error", description: "Any other error (405, 408, 413, 415, 500, 503), in the same body." },
};

const HEADERS: Record<string, { description: string; schema: JsonSchema; required?: true }> = {
  Location: { description: "The created resource's URL.", schema: { type: "string", pattern: "^/api/" }, required: true },
  Link: { description: 'The next page: `<url>; rel="next"`.', schema: { type: "string" } },
  "X-Next-Cursor": { description: "The next page's cursor; absent on the last page.", schema: { type: "string" } },
  "Content-Disposition": { description: "A file name for the download.", schema: { type: "string" } },
  "Idempotent-Replayed": { description: "`true` when this is the stored answer of an earlier request with the same key.", schema: { type: "string", enum: ["true"] } },
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string", pattern: "^\\d+$" }, required: true },
  "WWW-Authenticate": { description: "The Bearer challenge (RFC 6750).", schema: { type: "string", pattern: "^Bearer" }, required: true },
  "x-request-id": { description: "The request's id, also in error bodies and logs.", schema: { type: "string", minLength: 1 }, required: true },
  ETag: { description: "The answer's validator: strong, or weak (`W/`) when the body was compressed. Send it back in `If-None-Match` to get 304.", schema: { type: "string" }, required: true },
  "Cache-Control": {
    description: "`public, max-age=…, stale-while-revalidate=…` for an anonymous caller (settings CATALOG_CACHE_MAX_AGE_S, CATALOG_CACHE_SWR_S); `private, no-store` for anyone signed in.",
    schema: { type: "string" },
    required: true,
  },
};

const errorResponse = ({ description, headers = [] }: { description: string; headers?: string[] }) => ({
  description,
  headers: Object.fromEntries(["x-request-id", ...headers].map((h) => [h, ref("headers", h)])),
  content: { "application/json": { schema: ref("schemas", "Error") } },
});

/**
 * The REST shim's OpenAPI 3.1 document, generated from the route table
 * (route-table.ts): the routes' own validators (request bodies, parameters)
 * and the response shapes the serializers are typed by. Served at
 * /openapi.json; a copy is committed (`npm run openapi:print`) so CI can lint
 * it and reviewers can diff it.
 */
export function openApiDocument(routes: readonly RestRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method] = operationObject(route);
  const { schemas } = z.toJSONSchema(components, { uri: (id) => `#/components/schemas/${id}`, override: plainer });
  return {
    openapi: "3.1.0",
    info: {
      title: "Shop gateway REST API",
      version: pkg.version,
      description:
        "The storefront's REST endpoints. Money is sent and shown as decimal amounts, each with its exact integer-cents twin (`priceCents`). Errors share one body (`Error`). The same operations, and more, are in the GraphQL API at /graphql.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/", description: "This server" }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: `${name} endpoints.` })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A token from the identity provider (`npm run token` in development)." },
      },
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _, $id: __, ...schema }]) => [name, schema])),
      responses: Object.fromEntries(Object.values(ERROR_RESPONSES).map((r) => [r.name, errorResponse(r)])),
      headers: HEADERS,
      parameters: { IdempotencyKey: idempotencyKey(true), OptionalIdempotencyKey: idempotencyKey(false) },
    },
  };
}

/** A response body: a registered shape, or a list of one. */
function componentRef(schema: z.ZodType): JsonSchema {
  if (schema instanceof z.ZodArray) return { type: "array", items: componentRef(schema.element as z.ZodType) };
  const id = components.get(schema)?.id;
  if (!id) throw new Error("a response body must be a shape registered in openapi/shapes.ts");
  return ref("schemas", id);
}

/** Leaves out what zod adds for its own checks and a reader does not need: the safe-integer bounds and the ISO pattern beside `format: date-time`. */
function plainer({ jsonSchema }: { jsonSchema: JsonSchema }): void {
  if (jsonSchema.format === "date-time") delete jsonSchema.pattern;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
}

const IF_NONE_MATCH = {
  name: "If-None-Match",
  in: "header",
  required: false,
  description: "The ETag of an answer you hold: when it still matches, the answer is 304 with no body.",
  schema: { type: "string", maxLength: 1024 },
};

function idempotencyKey(required: boolean) {
  return {
    name: "Idempotency-Key",
    in: "header",
    required,
    description: "1-255 printable ASCII characters, e.g. a UUID. A retry with the same key and body replays the first answer; another body is 422.",
    schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x20-\\x7e]+$" },
  };
}

/** Express's `/api/orders/:orderId` is OpenAPI's `/api/orders/{orderId}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

const pathParams = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);

function operationObject(op: RestRoute) {
  const query = op.query && accepts(op.query);
  const parameters = [
    ...pathParams(op.path).map((name) => ({ name, in: "path", required: true, schema: op.params?.[name] ?? ID_PARAM })),
    ...Object.entries((query?.properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => ({
      name,
      in: "query",
      required: ((query?.required ?? []) as string[]).includes(name) && !("default" in schema),
      schema,
    })),
    ...(op.idempotencyKey ? [ref("parameters", op.idempotencyKey === "required" ? "IdempotencyKey" : "OptionalIdempotencyKey")] : []),
    ...(op.cache ? [IF_NONE_MATCH] : []),
  ];
  const success = op.success;
  const cacheHeaders = op.cache ? ["ETag", "Cache-Control"] : [];
  const successHeaders = [...(success.headers ?? []), ...cacheHeaders, ...(op.idempotencyKey ? ["Idempotent-Replayed"] : []), "x-request-id"];
  const errors = [401, ...op.errors].sort() as ErrorStatus[];
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: `${op.description}\n\n**Who may call it:** ${ROLE_TEXT[op.access]}${op.idempotencyKey === "required" ? "\n\nThe `Idempotency-Key` header is required." : ""}`,
    ...(op.access === "anyone" ? { security: [{}, { bearerAuth: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: op.body.required, content: Object.fromEntries(Object.entries(op.body.content).map(([type, schema]) => [type, { schema }])) } } : {}),
    responses: {
      [success.status]: {
        description: success.description,
        headers: Object.fromEntries(successHeaders.map((h) => [h, ref("headers", h)])),
        content: success.csv
          ? { "text/csv": { schema: { type: "string" } } }
          : { "application/json": { schema: componentRef(success.schema!) } },
      },
      ...(op.cache && {
        304: {
          description: "Not modified: the `If-None-Match` ETag is still this answer's. No body.",
          headers: Object.fromEntries([...cacheHeaders, "x-request-id"].map((h) => [h, ref("headers", h)])),
        },
      }),
      ...Object.fromEntries(errors.map((status) => [status, ref("responses", ERROR_RESPONSES[status].name)])),
      default: ref("responses", ERROR_RESPONSES.default.name),
    },
  };
}
