import { getDatamodel } from "../generated/pothos-types.js";
import type { Prisma } from "../generated/sqlite/client.js";

/**
 * Rows of hand-written SQL, typed and decoded from the Prisma schema: where
 * the driver rows' DateTimes and Booleans are decoded, with one exception:
 * on PostgreSQL, client.ts's pg type parser (`utcTimestamps`) has already
 * read the zone-less timestamps as UTC Dates.
 * SQLite keeps DateTimes as ISO text with "+00:00" and Booleans as 0/1 (as
 * Prisma writes them); pg returns Dates and booleans. A column list built here
 * decodes what the schema says each column is, so a new DateTime column comes
 * back as a Date without anyone keeping a list.
 */
export type Model = Prisma.ModelName;
/** A model's scalar columns, as the generated client types them. */
export type Row<M extends Model> = Prisma.TypeMap["model"][M]["payload"]["scalars"];
export type ColumnOf<M extends Model> = keyof Row<M> & string;

export interface Columns<M extends Model, K extends ColumnOf<M>> {
  /** `"a", "b"` (or `o."a", o."b"` with an alias): the SELECT list. */
  readonly list: string;
  /** A driver row as the model's typed row: DateTimes as Dates, Booleans as booleans. */
  decode(row: unknown): Pick<Row<M>, K>;
}

const models = getDatamodel().datamodel.models as unknown as Record<string, { fields: { name: string; type: string; kind: string }[] }>;

function scalarTypes(model: Model): Map<string, string> {
  return new Map(models[model]!.fields.filter((f) => f.kind !== "object").map((f) => [f.name, f.type]));
}

/** An explicit column list of a model, with the decoding its types need. */
export function columns<M extends Model, K extends ColumnOf<M>>(model: M, names: readonly K[], alias?: string): Columns<M, K> {
  const types = scalarTypes(model);
  for (const name of names) if (!types.has(name)) throw new Error(`${model} has no column ${name}`);
  const dates = names.filter((n) => types.get(n) === "DateTime");
  const booleans = names.filter((n) => types.get(n) === "Boolean");
  const prefix = alias ? `${alias}.` : "";
  return {
    list: names.map((n) => `${prefix}"${n}"`).join(", "),
    decode(row) {
      const r = row as Record<string, unknown>;
      for (const d of dates) r[d] = toDate(r[d]);
      for (const b of booleans) if (r[b] !== null) r[b] = Boolean(r[b]);
      return r as Pick<Row<M>, K>;
    },
  };
}

/** Every scalar column of a model (SELECT * without the surprises). */
export function allColumns<M extends Model>(model: M, alias?: string): Columns<M, ColumnOf<M>> {
  return columns(model, [...scalarTypes(model).keys()] as ColumnOf<M>[], alias);
}

/** The models with an @updatedAt column, and its name: hand-written writes must set it as Prisma would. */
export function updatedAtColumn(model: Model): string | undefined {
  return (models[model]!.fields as { name: string; isUpdatedAt?: boolean }[]).find((f) => f.isUpdatedAt)?.name;
}

export function toDate(value: unknown): Date;
export function toDate(value: unknown | null): Date | null;
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string);
}

/** A stored timestamp as ISO 8601 UTC text, as JSON prints a Date; SQLite's own text needs no Date round trip. */
export function toIsoString(value: unknown): string {
  if (typeof value === "string" && value.length === 29 && value.endsWith("+00:00")) return `${value.slice(0, 23)}Z`;
  return toDate(value).toISOString();
}

/** A Date as SQLite stores it (Prisma's text), so ISO comparisons in SQL and Prisma's reads both work. */
export const sqliteTimestamp = (d: Date): string => d.toISOString().replace("Z", "+00:00");

/** Parameters as SQLite stores them: Dates as Prisma's text, booleans as 0/1. */
export const sqliteParams = (params: readonly unknown[]): unknown[] =>
  params.map((p) => (p instanceof Date ? sqliteTimestamp(p) : typeof p === "boolean" ? Number(p) : p));

/** Parameters for pg: Dates as ISO text, stored as UTC in the zone-less timestamp columns, as Prisma stores them. */
export const postgresParams = (params: readonly unknown[]): unknown[] => params.map((p) => (p instanceof Date ? p.toISOString() : p));
