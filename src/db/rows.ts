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
    decode: decoder(dates, booleans) as (row: unknown) => Pick<Row<M>, K>,
  };
}

/**
 * A row decoder compiled for its columns (`r["createdAt"] = toDate(r["createdAt"])`, ...): the
 * order pages decode hundreds of rows a request, and fixed property writes cost far less than a
 * loop of computed ones.
 */
function decoder(dates: readonly string[], booleans: readonly string[]): (row: unknown) => unknown {
  const property = (name: string) => `r[${JSON.stringify(name)}]`;
  const body = [
    ...dates.map((d) => `${property(d)} = toDate(${property(d)});`),
    ...booleans.map((b) => `if (${property(b)} !== null) ${property(b)} = Boolean(${property(b)});`),
    "return r;",
  ].join("\n");
  return new Function("toDate", `return (r) => {\n${body}\n};`)(toDate) as (row: unknown) => unknown;
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
  if (value instanceof Date) return value;
  return new Date(typeof value === "string" ? (sqliteTimeMs(value) ?? Date.parse(value)) : (value as number));
}

/**
 * SQLite's stored text (`2026-12-03T09:06:01.632+00:00`, as Prisma writes it) as epoch
 * milliseconds, read by hand: `Date.parse` costs about three times as much, and an order page
 * has hundreds of timestamps. Text of any other shape is undefined (and left to `Date.parse`).
 */
export function sqliteTimeMs(text: string): number | undefined {
  if (text.length !== 29 || !text.endsWith("+00:00") || text[4] !== "-" || text[7] !== "-" || text[10] !== "T" || text[13] !== ":" || text[16] !== ":" || text[19] !== ".") return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hours = digits(text, 11, 2);
  const minutes = digits(text, 14, 2);
  const seconds = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
  if (Number.isNaN(year + month + day + hours + minutes + seconds + ms)) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + ms;
}

/** The decimal number in `text` at [start, start + length), or NaN if a character there is not a digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

const daysInMonth = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
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
