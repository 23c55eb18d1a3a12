import { createReadStream } from "node:fs";
import { parse } from "csv-parse";

export interface Checkpoint {
  /** Byte offset just after the last committed record. */
  byte: number;
  /** The physical line the next record starts on. */
  line: number;
  /** Data rows already processed (the header is not a row). */
  row: number;
}

export type CsvRecord =
  | { kind: "header"; fields: string[]; next: Checkpoint }
  | { kind: "row"; fields: string[]; row: number; line: number; next: Checkpoint };

/**
 * Streams the records of a CSV file from a checkpoint, in constant memory:
 * quoted fields with commas and newlines, CRLF, a UTF-8 BOM. Each record says
 * where it started (row, line) and the checkpoint just after it, so a resumed
 * job continues exactly where its last committed batch ended.
 */
export async function* readCsv(path: string, from: Checkpoint): AsyncGenerator<CsvRecord> {
  const parser = createReadStream(path, { start: from.byte, highWaterMark: 256 * 1024 }).pipe(
    parse({
      bom: from.byte === 0,
      info: true,
      raw: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: false,
    }),
  );
  let line = from.line;
  let row = from.row;
  let headerDue = from.byte === 0;
  for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: { bytes: number }; raw: string }>) {
    const startLine = line;
    line += linesSpanned(raw);
    const next = { byte: from.byte + info.bytes, line, row };
    if (record.length === 1 && record[0] === "") continue; // an empty line
    if (headerDue) {
      headerDue = false;
      yield { kind: "header", fields: record, next };
      continue;
    }
    row += 1;
    yield { kind: "row", fields: record, row, line: startLine, next: { ...next, row } };
  }
}

/**
 * Physical lines a record spans. csv-parse's raw text carries the record's "\n"
 * for LF files but only the "\r" of a CRLF (and nothing after the last record).
 */
function linesSpanned(raw: string): number {
  let count = 0;
  for (let i = raw.indexOf("\n"); i !== -1; i = raw.indexOf("\n", i + 1)) count++;
  return raw.endsWith("\n") ? count : count + 1;
}
