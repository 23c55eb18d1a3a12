/**
 * Who is calling (docs/auth.md). It travels in the request context and every
 * service entry point takes it first, so both doors give the same answer.
 */
export type Principal =
  | { kind: "anonymous" }
  | { kind: "customer"; sub: string; userId: number }
  | { kind: "admin"; sub: string; roles: readonly string[] };

export const ANONYMOUS: Principal = Object.freeze({ kind: "anonymous" });

export const isAdmin = (principal: Principal): principal is Extract<Principal, { kind: "admin" }> => principal.kind === "admin";
