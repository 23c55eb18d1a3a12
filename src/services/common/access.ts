import type { Principal } from "../../auth/principal.js";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../../errors.js";

/**
 * Who may do what (docs/auth.md has the table). Every service entry point a
 * door calls takes the principal first and asks here, so REST and GraphQL
 * cannot answer differently.
 */
export type Signed = Exclude<Principal, { kind: "anonymous" }>;
export type Admin = Extract<Principal, { kind: "admin" }>;

/** 401 for an anonymous caller. */
export function requireSignedIn(principal: Principal): asserts principal is Signed {
  if (principal.kind === "anonymous") throw new UnauthenticatedError("This operation needs Authorization: Bearer <token>");
}

/** 401 for an anonymous caller, 403 for a customer. */
export function requireAdmin(principal: Principal, action: string): asserts principal is Admin {
  requireSignedIn(principal);
  if (principal.kind !== "admin") throw new ForbiddenError(`Only an admin may ${action}`);
}

/** Whether the caller may see a user's data: the user themself, or an admin. */
export function canActFor(principal: Principal, userId: number): boolean {
  return principal.kind === "admin" || (principal.kind === "customer" && principal.userId === userId);
}

/**
 * A customer asking for someone else's resource gets the answer an unknown id
 * gets (404): whether it exists is not theirs to learn.
 */
export function requireOwnOrNotFound(principal: Principal, ownerUserId: number | undefined, resource: string, id: number): void {
  requireSignedIn(principal);
  if (ownerUserId === undefined || !canActFor(principal, ownerUserId)) throw new NotFoundError(resource, id);
}

/** The Prisma filter that limits a read to what the caller may see. */
export function ownedBy(principal: Signed): { userId?: number } {
  return principal.kind === "admin" ? {} : { userId: principal.userId };
}

/**
 * The scope of an idempotency key: a customer's keys are theirs alone; an
 * admin acting for a user has keys of their own, so neither can collide with
 * or replay the other's.
 */
export function idempotencyScope(principal: Signed, userId: number): string {
  return principal.kind === "admin" ? `admin:${principal.sub}|user:${userId}` : `user:${userId}`;
}

/** The scope of an admin's key for an operation on no one customer's behalf (a refund): the admin's own. */
export function adminIdempotencyScope(principal: Admin): string {
  return `admin:${principal.sub}`;
}
