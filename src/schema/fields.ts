import { formatMoney, type Cents } from "../lib/money.js";
import { id as idSchema, parseInput } from "../lib/validation.js";

/** "$1,234.50" from cents, for display only: clients compute with the *Cents fields. */
export function formatUsd(cents: number): string {
  const [whole, fraction] = formatMoney(cents as Cents).split(".");
  return `$${Number(whole).toLocaleString("en-US")}.${fraction}`;
}

/** GraphQL ID arguments carry the raw database id; anything else is VALIDATION_FAILED. */
export function parseId(value: string | number, field = "id"): number {
  return parseInput(idSchema, value, field);
}

/** GraphQL sends omitted and explicit-null optional fields alike; the services' strict validators want them absent. */
export function dropNulls<T extends object>(input: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
}
