import type { Principal } from "../../auth/principal.js";
import { UnauthenticatedError } from "../../errors.js";
import { userById, type User } from "./sql.js";

export interface Caller {
  kind: "customer" | "admin";
  sub: string;
  roles: readonly string[];
  /** The customer's own profile; an admin is a staff account of the identity provider, not a shop user. */
  user: User | null;
}

/** `me`: who the token says the caller is. Anonymous callers have no one to be (401). */
export async function whoAmI(principal: Principal): Promise<Caller> {
  if (principal.kind === "anonymous") throw new UnauthenticatedError("Send Authorization: Bearer <token> to ask who you are");
  if (principal.kind === "admin") return { kind: "admin", sub: principal.sub, roles: principal.roles, user: null };
  return { kind: "customer", sub: principal.sub, roles: [], user: await userById(principal.userId) };
}
