import { z } from "zod";
import { decimalMoney } from "../../lib/validation.js";

export type JsonSchema = Record<string, unknown>;

/** What a request validator accepts, as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the `$schema` line. */
export function accepts(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", override: dates }) as JsonSchema;
  return json;
}

/** A date the validator coerces is ISO 8601 text on the wire. */
function dates(ctx: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }): void {
  if (ctx.zodSchema._zod.def.type === "date") Object.assign(ctx.jsonSchema, { type: "string", format: "date-time" });
}

/**
 * The REST form of a service's input: the storefront sends decimal amounts
 * (`price: 19.99`) where the service takes cents (`priceCents`); the REST
 * layer renames them (rest/translate.ts). Applies to an object or to each
 * branch of a `oneOf`.
 */
export function withDecimalMoney(schema: JsonSchema, renames: Record<string, string>): JsonSchema {
  if (Array.isArray(schema.oneOf)) return { ...schema, oneOf: (schema.oneOf as JsonSchema[]).map((branch) => withDecimalMoney(branch, renames)) };
  const properties: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const decimal = renames[name];
    properties[decimal ?? name] = decimal ? { ...accepts(decimalMoney), description: `${decimal} as a decimal amount, e.g. 19.99 or "19.99" (at most 2 decimals).` } : property;
  }
  const required = ((schema.required ?? []) as string[]).map((name) => renames[name] ?? name);
  return { ...schema, properties, ...(required.length > 0 ? { required } : {}) };
}

/** A path parameter arrives as text: the string form of a validator that also takes numbers. */
export function asText(schema: JsonSchema): JsonSchema {
  const branches = (schema.anyOf ?? [schema]) as JsonSchema[];
  return branches.find((b) => b.type === "string") ?? { type: "string" };
}

/** The same object schema with some properties no longer required. */
export function optional(schema: JsonSchema, ...names: string[]): JsonSchema {
  return { ...schema, required: ((schema.required ?? []) as string[]).filter((n) => !names.includes(n)) };
}

/** One property's description, set after the fact. */
export function describe(schema: JsonSchema, property: string, description: string): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema>;
  return { ...schema, properties: { ...properties, [property]: { ...properties[property], description } } };
}
