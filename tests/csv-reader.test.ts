import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvFormatError, DEFAULT_CSV_LIMITS, readCsvRecords, type CsvRecord } from "../src/services/bulk-import/csv-reader.js";
import { TMP_DIR } from "./helpers/server.js";

mkdirSync(TMP_DIR, { recursive: true });

function file(content: Buffer | string): string {
  const path = join(TMP_DIR, `csv-${randomUUID()}.csv`);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, from = { byte: 0, line: 1 }, chunkBytes?: number, limits = DEFAULT_CSV_LIMITS): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const batch of readCsvRecords(path, from, limits, chunkBytes)) out.push(...batch);
  return out;
}

const field = fc.stringMatching(/^[a-zé€ ,"\n]{0,6}$/).map((s) => s.replaceAll("\n", Math.random() < 0.5 ? "\n" : "\r\n"));

function serialize(rows: string[][], eol: string, bom: boolean, trailing: boolean, blankAfter: number): string {
  const quote = (f: string) => (/[",\r\n]/.test(f) || f === "" ? `"${f.replaceAll('"', '""')}"` : f);
  const lines = rows.map((r) => r.map(quote).join(","));
  if (blankAfter >= 0 && blankAfter < lines.length) lines.splice(blankAfter + 1, 0, "");
  return `${bom ? "\uFEFF" : ""}${lines.join(eol)}${trailing ? eol : ""}`;
}

describe("CSV reader", () => {
  it("reads what csv-parse reads, with the right lines and byte offsets, across chunk boundaries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: -1, max: 5 }),
        fc.integer({ min: 1, max: 16 }),
        async (rows, eol, bom, trailing, blankAfter, chunkBytes) => {
          const text = serialize(rows, eol, bom, trailing, blankAfter);
          const expected = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
          const records = await readAll(file(text), { byte: 0, line: 1 }, chunkBytes);
          expect(records.map((r) => r.fields)).toEqual(expected);
          // Each record's endByte is a place a resumed read can start from and get the rest.
          for (let i = 0; i < records.length; i++) {
            const rest = await readAll(file(text), { byte: records[i]!.endByte, line: records[i]!.nextLine });
            expect(rest.map((r) => [r.fields, r.line])).toEqual(records.slice(i + 1).map((r) => [r.fields, r.line]));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("counts physical lines for multiline fields and blank lines", async () => {
    const records = await readAll(file('h1,h2\r\n"a\r\nb",c\r\n\r\nd,"e\n\nf"\ng,h'));
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ["h1", "h2"]],
      [2, ["a\r\nb", "c"]],
      [5, ["d", "e\n\nf"]],
      [8, ["g", "h"]],
    ]);
  });

  it("keeps a stray quote inside an unquoted field and refuses an unclosed quoted field", async () => {
    expect((await readAll(file('a,b"c,d\n')))[0]!.fields).toEqual(["a", 'b"c', "d"]);
    await expect(readAll(file('a,"never closed\nb,c\n'))).rejects.toBeInstanceOf(CsvFormatError);
    await expect(readAll(file('a,"x"y,c\n'))).rejects.toThrow(/after a closing quote \(line 1\)/);
  });
});

describe("record limits", () => {
  const limits = { maxRecordBytes: 1024, maxFields: 8 };
  it("fails on a record with more fields than allowed, naming its line, without building them all", async () => {
    const path = file(`a,b\n1,2\nA1${",".repeat(2_000_000)}\n`);
    const started = performance.now();
    await expect(readAll(path, undefined, 64 * 1024, limits)).rejects.toThrow(new CsvFormatError("a record has more than 8 fields", 3));
    // Milliseconds on a quiet machine; building two million fields first would take far longer.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("fails on a record longer than allowed: one endless line, or a quote never closed", async () => {
    await expect(readAll(file(`a,b\n${"x".repeat(5_000)}\n`), undefined, 256, limits)).rejects.toThrow(/longer than 1024 bytes \(line 2\)/);
    await expect(readAll(file(`a,b\n"${"y\n".repeat(5_000)}`), undefined, 256, limits)).rejects.toThrow(/longer than 1024 bytes \(line 2\)/);
  });

  it("reads records right at the limits", async () => {
    const wide = Array.from({ length: 8 }, (_, i) => `f${i}`).join(",");
    const long = `"${"z".repeat(1000)}",b`;
    const records = await readAll(file(`${wide}\n${long}\n`), undefined, 100, limits);
    expect(records.map((r) => r.fields.length)).toEqual([8, 2]);
  });
});
