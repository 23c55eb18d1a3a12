import { MoneyFormatError, parseMoney, type Cents } from "../../lib/money.js";
import { CONTROL_CHARACTERS } from "../../lib/validation.js";
import { MAX_STOCK } from "../products/index.js";

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

export type RowParser = (fields: string[]) => { row: ProductRow } | { errors: FieldError[] };

/**
 * A validator for data records under this header; every bad field of a row is
 * reported. A price of 0 is a row error unless the admin started the job with
 * allowZeroPrices: a file cannot give the catalogue away by itself.
 */
export function rowParser(columns: string[], rules: { allowZeroPrices: boolean } = { allowZeroPrices: false }): RowParser {
  const at = (name: string) => columns.indexOf(name);
  const [iSku, iName, iDescription, iPrice, iStock] = [at("sku"), at("name"), at("description"), at("price"), at("stockQuantity")];
  return (fields) => {
    if (fields.length !== columns.length) {
      return { errors: [{ column: null, message: `has ${fields.length} fields, the header has ${columns.length}` }] };
    }
    const value = (index: number) => (index < 0 ? "" : fields[index]!.trim());
    let errors: FieldError[] | undefined;
    const fail = (column: string, message: string) => (errors ??= []).push({ column, message });

    const name = value(iName);
    if (!name) fail("name", "is required");
    else if (name.length > 200) fail("name", "must be at most 200 characters");
    else if (CONTROL_CHARACTERS.test(name)) fail("name", "must not contain control characters");

    const description = value(iDescription);
    if (description.length > 2000) fail("description", "must be at most 2000 characters");
    else if (CONTROL_CHARACTERS.test(description)) fail("description", "must not contain control characters");

    let priceCents = 0 as Cents;
    const price = value(iPrice);
    try {
      priceCents = parseMoney(price);
      if (priceCents === 0 && !rules.allowZeroPrices) fail("price", `${JSON.stringify(price)}: is 0; upload with allowZeroPrices to import free products`);
    } catch (error) {
      fail("price", `${JSON.stringify(price)}: ${error instanceof MoneyFormatError ? error.message : "is invalid"}`);
    }

    const stock = value(iStock);
    const stockQuantity = /^\d{1,10}$/.test(stock) ? Number(stock) : NaN;
    if (!(stockQuantity <= MAX_STOCK)) fail("stockQuantity", `${JSON.stringify(stock)}: must be a non-negative integer`);

    const sku = value(iSku);
    if (sku && !SKU.test(sku)) fail("sku", `${JSON.stringify(sku)}: may contain only letters, digits and . _ - / (at most 64)`);

    if (errors) return { errors };
    return { row: { sku: sku || null, name, description: description || null, priceCents, stockQuantity } };
  };
}
