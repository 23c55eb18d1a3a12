import { createReadStream } from "node:fs";

/**
 * A streaming CSV reader (RFC 4180 plus what spreadsheets export): quoted
 * fields with commas, doubled quotes and line breaks, CRLF or LF, a UTF-8 BOM,
 * blank lines skipped, a stray quote inside an unquoted field kept as text.
 * It scans bytes (every structural character is ASCII, so UTF-8 is safe) and
 * tracks each record's physical line and the byte offset after it, which is
 * what a resumable import needs, at several times csv-parse's speed with
 * `info` on. tests/csv-reader.test.ts checks it against csv-parse.
 */
export interface CsvRecord {
  fields: string[];
  /** Physical line the record starts on (1-based). */
  line: number;
  /** Absolute byte offset just after the record (its line break included). */
  endByte: number;
  /** The line the next record starts on. */
  nextLine: number;
}

export class CsvFormatError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} (line ${line})`);
    this.name = "CsvFormatError";
  }
}

/**
 * What one record may take: a record over either limit fails the read (the
 * job) with its line, instead of growing without bound (one 40 MB line of
 * commas would otherwise become a 40-million-element array).
 */
export interface CsvLimits {
  maxRecordBytes: number;
  maxFields: number;
}

export const DEFAULT_CSV_LIMITS: CsvLimits = { maxRecordBytes: 64 * 1024, maxFields: 64 };

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Yields the records of `path` from byte `start` (a record boundary), one array per chunk read. */
export async function* readCsvRecords(
  path: string,
  start: { byte: number; line: number },
  limits: CsvLimits = DEFAULT_CSV_LIMITS,
  chunkBytes = 1 << 20,
): AsyncGenerator<CsvRecord[]> {
  let carry: Buffer | null = null;
  let carryOffset = start.byte; // absolute offset of carry[0] / of the next chunk's start
  let line = start.line;
  let first = start.byte === 0;
  for await (const chunk of createReadStream(path, { start: start.byte, highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    let buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    if (first) {
      if (buf.length < 3) {
        carry = buf; // too short to tell whether a BOM starts the file
        continue;
      }
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        carryOffset += 3;
      }
    }
    const records: CsvRecord[] = [];
    const { consumed, nextLine } = scan(buf, carryOffset, line, records, false, limits);
    line = nextLine;
    carry = consumed < buf.length ? Buffer.from(buf.subarray(consumed)) : null;
    if (carry && carry.length > limits.maxRecordBytes) throw tooLong(limits, line);
    carryOffset += consumed;
    if (records.length) yield records;
  }
  if (carry && carry.length) {
    const records: CsvRecord[] = [];
    scan(carry, carryOffset, line, records, true, limits);
    if (records.length) yield records;
  }
}

/**
 * Parses every complete record in buf; returns how many bytes it consumed and
 * the line after them (blank lines count). With `final`, the data after the
 * last line break is a record too.
 */
function scan(buf: Buffer, base: number, firstLine: number, out: CsvRecord[], final: boolean, limits: CsvLimits): { consumed: number; nextLine: number } {
  let pos = 0;
  let line = firstLine;
  const n = buf.length;
  while (pos < n) {
    const recordStart = pos;
    const startLine = line;
    const fields: string[] = [];
    let lines = 0;
    let complete = false;
    let quoted = false;
    for (;;) {
      // one field, starting at pos
      if (pos < n && buf[pos] === QUOTE) {
        let i = pos + 1;
        let hasEscapes = false;
        let closed = -1;
        while (i < n) {
          const c = buf[i]!;
          if (c === QUOTE) {
            if (i + 1 < n && buf[i + 1] === QUOTE) {
              hasEscapes = true;
              i += 2;
              continue;
            }
            if (i + 1 >= n && !final) break; // cannot tell yet whether this quote is doubled
            closed = i;
            break;
          }
          if (c === LF) lines++;
          i++;
        }
        if (closed < 0) {
          if (final) throw new CsvFormatError("a quoted field is not closed", startLine);
          return { consumed: recordStart, nextLine: startLine }; // need more data
        }
        let value = buf.toString("utf8", pos + 1, closed);
        if (hasEscapes) value = value.replaceAll('""', '"');
        fields.push(value);
        checkRecord(fields.length, closed - recordStart, limits, startLine);
        quoted = true;
        pos = closed + 1;
        const next = pos < n ? buf[pos] : undefined;
        if (next === COMMA) {
          pos++;
          continue;
        }
        if (next === CR && pos + 1 >= n) {
          if (!final) return { consumed: recordStart, nextLine: startLine }; // is it CRLF? the next chunk tells
          pos = n;
          complete = true;
          break;
        }
        if (next === CR && buf[pos + 1] === LF) pos++;
        if (pos < n && buf[pos] === LF) {
          pos++;
          lines++;
          complete = true;
          break;
        }
        if (pos >= n) {
          if (!final) return { consumed: recordStart, nextLine: startLine };
          complete = true;
          break;
        }
        throw new CsvFormatError("unexpected text after a closing quote", startLine + lines);
      }
      let i = pos;
      while (i < n) {
        const c = buf[i]!;
        if (c === COMMA || c === LF) break;
        i++;
      }
      if (i >= n && !final) return { consumed: recordStart, nextLine: startLine };
      const end = i > pos && buf[i - 1] === CR && (i >= n || buf[i] === LF) ? i - 1 : i;
      fields.push(buf.toString("utf8", pos, end));
      checkRecord(fields.length, i - recordStart, limits, startLine);
      if (i < n && buf[i] === COMMA) {
        pos = i + 1;
        continue;
      }
      pos = i < n ? i + 1 : i;
      if (i < n) lines++;
      complete = true;
      break;
    }
    if (!complete) return { consumed: recordStart, nextLine: startLine };
    line = startLine + Math.max(lines, 1);
    if (fields.length === 1 && fields[0] === "" && !quoted) continue; // a blank line
    out.push({ fields, line: startLine, endByte: base + pos, nextLine: line });
  }
  return { consumed: pos, nextLine: line };
}

function checkRecord(fields: number, bytes: number, limits: CsvLimits, line: number): void {
  if (fields > limits.maxFields) throw new CsvFormatError(`a record has more than ${limits.maxFields} fields`, line);
  if (bytes > limits.maxRecordBytes) throw tooLong(limits, line);
}

const tooLong = (limits: CsvLimits, line: number) => new CsvFormatError(`a record is longer than ${limits.maxRecordBytes} bytes`, line);
