import { z } from "zod";
import { ValidationError } from "../errors.js";
import { MoneyFormatError, parseMoney } from "./money.js";

/** A plain JSON object (not null, not an array). */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Parses input with a zod schema; every problem becomes a named field issue (400 VALIDATION_FAILED). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      field: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
      message: issue.message,
    })),
  );
}

/** Control characters other than tab, line feed and carriage return: refused in free text on every door (CSV rows too). */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Free text: trimmed, no control characters, bounded. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTERS.test(s), "must not contain control characters");

export const requiredText = (max: number) => text(max).pipe(z.string().min(1, "is required"));

/** The largest id a route or field accepts (the 32-bit integer columns' maximum). */
export const MAX_ID = 2_147_483_647;

/** A database id: a positive integer, as a JSON number or a digit string (path params, GraphQL IDs). Never a list or a boolean. */
export const id = z
  .union([z.number(), z.string().regex(/^\d{1,10}$/, "must be a positive integer id")], { error: "must be a positive integer id" })
  .transform(Number)
  .pipe(z.number().int("must be a positive integer id").positive("must be a positive integer id").max(MAX_ID, "is out of range"));

/** A decimal money amount as JSON number or string ("19.99", 19.99) parsed exactly to cents. */
export const decimalMoney = z
  .union([z.number(), z.string()], { error: "must be a decimal amount (number or string)" })
  .transform((value, ctx) => {
    try {
      return parseMoney(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof MoneyFormatError ? error.message : "is invalid" });
      return z.NEVER;
    }
  });
