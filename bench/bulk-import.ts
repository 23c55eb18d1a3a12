/**
 * Bulk import, end to end (upload + processing) against the real server, with
 * B4 measured in the same run: raw better-sqlite3 inserting the same rows with
 * a prepared statement in 5,000-row transactions.
 *   npm run bench -- bulk-import            (1,000,000 rows and 100,000 rows)
 *   BENCH_ROWS=20000 npm run bench -- bulk-import
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { once } from "node:events";
import Database from "better-sqlite3";
import { migrateSqlite } from "../src/db/migrate.js";
import { sampleCsvLines } from "../src/services/bulk-import/sample-csv.js";
import { parseMoney } from "../src/lib/money.js";
import { benchAuth, startServer } from "./lib.js";

const WORK = join(process.cwd(), ".tmp", "bench");

export interface BulkFigures {
  rows: number;
  rowsPerSecond: number;
  seconds: number;
  peakRssMb: number;
}

export async function writeSample(rows: number): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  const path = join(WORK, `sample-${rows}.csv`);
  const out = createWriteStream(path);
  for (const line of sampleCsvLines(rows)) if (!out.write(line)) await once(out, "drain");
  out.end();
  await once(out, "finish");
  return path;
}

/** B4: prepared single-row INSERTs in 5,000-row transactions, rows already in memory as the importer would have them. */
export function rawInsertBaseline(csvPath: string, rows: number): BulkFigures {
  const dbFile = join(WORK, `b4-${Date.now()}.db`);
  migrateSqlite(`file:${dbFile}`);
  const conn = new Database(dbFile);
  conn.pragma("journal_mode = WAL");
  conn.pragma("synchronous = NORMAL");
  const insert = conn.prepare(
    `INSERT INTO "Product" (sku, name, description, priceCents, stockQuantity, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const now = new Date().toISOString();
  const lines = [...sampleCsvLines(rows)].slice(1).map((l) => l.trimEnd().split(","));
  void csvPath;
  const started = performance.now();
  for (let i = 0; i < lines.length; i += 5_000) {
    conn.transaction(() => {
      for (const f of lines.slice(i, i + 5_000)) insert.run(f[0], f[1], f[2], parseMoney(f[f.length - 2]!), Number(f[f.length - 1]), now, now);
    })();
  }
  const seconds = (performance.now() - started) / 1000;
  conn.close();
  rmSync(dbFile, { force: true });
  return { rows, rowsPerSecond: Math.round(rows / seconds), seconds, peakRssMb: 0 };
}

/** Uploads the file to a fresh server (streamed from disk) and waits for the job to complete. */
export async function importThroughServer(csvPath: string, rows: number): Promise<BulkFigures> {
  const dbFile = join(WORK, `import-${Date.now()}.db`);
  const server = await startServer({
    DATABASE_URL: `file:${dbFile}`,
    UPLOAD_DIR: join(WORK, "uploads"),
    SEED_ON_START: "false",
    BULK_WORKER_POLL_MS: "50",
    BULK_UPLOAD_MAX_BYTES: String(2 * 1024 * 1024 * 1024 - 1),
  });
  try {
    const started = performance.now();
    const auth = await benchAuth();
    const jobId = await upload(server.url, csvPath, auth);
    for (;;) {
      const job = (await (await fetch(`${server.url}/api/products/bulk-upload/${jobId}`, { headers: auth })).json()) as { status: string; succeededRows: number };
      if (job.status === "COMPLETED") {
        if (job.succeededRows !== rows) throw new Error(`imported ${job.succeededRows} of ${rows} rows`);
        break;
      }
      if (job.status === "FAILED") throw new Error(`job failed: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    return { rows, rowsPerSecond: Math.round(rows / seconds), seconds, peakRssMb: server.peakRssMb() };
  } finally {
    await server.stop();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${dbFile}${suffix}`, { force: true });
  }
}

function upload(url: string, path: string, auth: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/products/bulk-upload`, {
      method: "POST",
      headers: { "content-type": "text/csv", "content-length": statSync(path).size, ...auth },
    });
    req.on("response", async (res) => {
      let body = "";
      for await (const chunk of res) body += chunk;
      if (res.statusCode !== 202) return reject(new Error(`upload answered ${res.statusCode}: ${body}`));
      resolve((JSON.parse(body) as { id: number }).id);
    });
    req.on("error", reject);
    createReadStream(path).pipe(req);
  });
}
