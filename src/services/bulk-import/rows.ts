import { MoneyFormatError, parseMoney, type Cents } from "../../lib/money.js";
import { MAX_STOCK } from "../products.js";

export const REQUIRED_COLUMNS = ["name", "price", "stockQuantity"] as const;
export const KNOWN_COLUMNS = new Set<string>(["sku", "name", "description", "price", "stockQuantity"]);

export interface ProductRow {
  sku: string | null;
  name: string;
  description: string | null;
  priceCents: Cents;
  stockQuantity: number;
}

export interface FieldError {
  column: string | null;
  message: string;
}

const SKU = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Checks the header: the job fails at once, with this message, when it is wrong. */
export function checkHeader(fields: string[]): { columns: string[] } | { error: string } {
  const columns = fields.map((f) => f.trim());
  const unknown = columns.filter((c) => !KNOWN_COLUMNS.has(c));
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  const duplicated = columns.filter((c, i) => columns.indexOf(c) !== i);
  const problems = [
    unknown.length ? `unknown column(s): ${unknown.join(", ")}` : "",
    missing.length ? `missing required column(s): ${missing.join(", ")}` : "",
    duplicated.length ? `duplicated column(s): ${[...new Set(duplicated)].join(", ")}` : "",
  ].filter(Boolean);
  if (problems.length === 0) return { columns };
  return { error: `Bad header (${problems.join("; ")}). Expected columns: sku,name,description,price,stockQuantity` };
}

/** Validates one data record against the header; every bad field is reported. */
export function parseProductRow(columns: string[], fields: string[]): { row: ProductRow } | { errors: FieldError[] } {
  if (fields.length !== columns.length) {
    return { errors: [{ column: null, message: `has ${fields.length} fields, the header has ${columns.length}` }] };
  }
  const value = (name: string) => {
    const index = columns.indexOf(name);
    return index < 0 ? "" : fields[index]!.trim();
  };
  const errors: FieldError[] = [];
  const name = value("name");
  if (!name) errors.push({ column: "name", message: "is required" });
  else if (name.length > 200) errors.push({ column: "name", message: "must be at most 200 characters" });
  else if (CONTROL.test(name)) errors.push({ column: "name", message: "must not contain control characters" });

  const description = value("description");
  if (description.length > 2000) errors.push({ column: "description", message: "must be at most 2000 characters" });

  let priceCents = 0 as Cents;
  try {
    priceCents = parseMoney(value("price"));
  } catch (error) {
    const detail = error instanceof MoneyFormatError ? error.message : "is invalid";
    errors.push({ column: "price", message: `${JSON.stringify(value("price"))}: ${detail}` });
  }

  const stock = value("stockQuantity");
  const stockQuantity = /^\d{1,10}$/.test(stock) ? Number(stock) : NaN;
  if (!(stockQuantity <= MAX_STOCK)) {
    errors.push({ column: "stockQuantity", message: `${JSON.stringify(stock)}: must be a non-negative integer` });
  }

  const sku = value("sku");
  if (sku && !SKU.test(sku)) errors.push({ column: "sku", message: `${JSON.stringify(sku)}: may contain only letters, digits and . _ - / (at most 64)` });

  if (errors.length) return { errors };
  return { row: { sku: sku || null, name, description: description || null, priceCents, stockQuantity } };
}
