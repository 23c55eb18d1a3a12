/**
 * One error type for every expected failure. GraphQL puts `code` in
 * errors[].extensions.code, REST in the body; both take the HTTP status from here.
 */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_IN_USE: 409,
  INSUFFICIENT_STOCK: 409,
  ORDER_NOT_PENDING: 409,
  ORDER_NOT_PAID: 409,
  AMOUNT_MISMATCH: 422,
  PAYMENT_DECLINED: 402,
  FRAUD_REJECTED: 402,
  FRAUD_CHECK_UNAVAILABLE: 503,
  PAYMENT_GATEWAY_UNAVAILABLE: 503,
  SHIPPING_UNAVAILABLE: 503,
  FULFILLMENT_FAILED: 422,
  COUPON_NOT_FOUND: 404,
  COUPON_EXPIRED: 422,
  COUPON_EXHAUSTED: 422,
  COUPON_ALREADY_APPLIED: 409,
  DUPLICATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  METHOD_NOT_ALLOWED: 405,
  CSRF_PREFLIGHT_REQUIRED: 400,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  TOO_MANY_SUBSCRIPTIONS: 429,
  REQUEST_TIMEOUT: 408,
  OVERLOADED: 503,
  DATABASE_UNAVAILABLE: 503,
  REFUND_EXCEEDS_REMAINING: 409,
  PAYMENT_NOT_REFUNDABLE: 409,
  REFUND_FAILED: 502,
  ORDER_NOT_CANCELLABLE: 409,
  ORDER_ALREADY_FULFILLED: 409,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export interface FieldIssue {
  field: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    const summary = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
    super("VALIDATION_FAILED", `Invalid input: ${summary}`, { fields: issues });
    this.issues = issues;
  }

  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends DomainError {
  constructor(resource: string, id: string | number) {
    super("NOT_FOUND", `${resource} ${id} not found`, { resource, id: String(id) });
  }
}

/**
 * A failure the client may retry as is (database busy, pool exhausted, a
 * dependency down, the same request still running): answered with Retry-After
 * and never stored as an idempotent outcome.
 */
export class TransientError extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(code: ErrorCode, message: string, retryAfterSeconds = 1) {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * No usable credentials for an operation that needs them (401). `invalidToken`:
 * a token was sent but cannot be trusted (RFC 6750 `error="invalid_token"`).
 */
export class UnauthenticatedError extends DomainError {
  constructor(
    message: string,
    readonly invalidToken = false,
  ) {
    super("UNAUTHENTICATED", message);
  }

  /** The `WWW-Authenticate` challenge to answer with. */
  get challenge(): string {
    return this.invalidToken ? `Bearer realm="shop-gateway", error="invalid_token"` : `Bearer realm="shop-gateway"`;
  }
}

/** Authenticated, but this principal's role may not do it (403). */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}
