import { attemptOf, gatewayKeyFor } from "../../src/services/idempotency/keys.js";
import { db } from "./server.js";

/** The key the card gateway saw for a request's current attempt (its idempotency key's row). */
export async function gatewayKeyOf(request: { scope: string; operation: string; key: string }): Promise<string> {
  const row = await db().idempotencyKey.findUniqueOrThrow({ where: { scope_operation_key: request } });
  return gatewayKeyFor(request, attemptOf(row.id, row.expiresAt));
}
