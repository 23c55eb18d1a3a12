import type { Principal } from "../../auth/principal.js";
import { formatMoney, type Cents } from "../../lib/money.js";
import { requireAdmin } from "../common/index.js";

export const SAMPLE_CSV_MAX_ROWS = 5_000_000;
export const SAMPLE_CSV_HEADER = "sku,name,description,price,stockQuantity";

/** Invalid rows, one of each kind the importer reports, cycled through. */
const invalidRows = [
  (n: number) => `BAD-${n},,Missing name,10.00,5`,
  (n: number) => `BAD-${n},Broken price ${n},Three decimals,10.999,5`,
  (n: number) => `BAD-${n},Negative stock ${n},Negative stock,10.00,-1`,
  (n: number) => `BAD-${n},Not a number ${n},Price is text,abc,5`,
];

/**
 * Yields the CSV line by line (constant memory). Row n is deterministic, so a
 * re-download gives the same file; `invalidFraction` of the rows are invalid,
 * spread evenly through the file.
 */
/** The sample file, for an admin (it shows the import's format and its error report). */
export function sampleCsv(principal: Principal, rows: number, invalidFraction = 0): Generator<string> {
  requireAdmin(principal, "download the sample CSV");
  return sampleCsvLines(rows, invalidFraction);
}

export function* sampleCsvLines(rows: number, invalidFraction = 0): Generator<string> {
  yield `${SAMPLE_CSV_HEADER}\n`;
  let invalidSoFar = 0;
  for (let n = 1; n <= rows; n++) {
    const invalidDue = Math.floor(n * invalidFraction);
    if (invalidDue > invalidSoFar) {
      invalidSoFar = invalidDue;
      yield `${invalidRows[invalidSoFar % invalidRows.length]!(n)}\n`;
      continue;
    }
    const price = formatMoney((100 + ((n * 7919) % 99_900)) as Cents);
    const description = n % 10 === 0 ? `"Sample product ${n}, with a comma"` : `Sample product ${n}`;
    yield `SAMPLE-${String(n).padStart(7, "0")},Product ${n},${description},${price},${n % 500}\n`;
  }
}
