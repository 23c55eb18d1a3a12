import { spawn, type ChildProcess } from "node:child_process";
import { FAST_FRAUD_CHECK, TEST_AUTH_SECRET } from "./server.js";
import { createInterface } from "node:readline";
import { loadConfig } from "../../src/config.js";
import { checkRestAnswers } from "./contract-setup.js";

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every log line the process has written so far, parsed. */
  logs: { msg?: string; [key: string]: unknown }[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `src/main.ts` in a child process (what `npm start` runs) and waits for its "listening" log line. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const childEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", AUTH_JWT_SECRET: TEST_AUTH_SECRET, ...Object.fromEntries(Object.entries(FAST_FRAUD_CHECK).map(([k, v]) => [k, String(v)])), ...env };
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: childEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  // "close": the process has exited and its output has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const logs: ServerProcess["logs"] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start in 45 s")), 45_000);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        logs.push(entry);
        if (entry.msg === "listening" && entry.url) {
          clearTimeout(timer);
          checkRestAnswers(entry.url, loadConfig(childEnv));
          resolve({
            url: entry.url,
            child,
            logs,
            kill: async (signal = "SIGKILL") => {
              child.kill(signal);
              return exited;
            },
          });
        }
      } catch {
        // not a log line
      }
    });
  });
}

/** Runs one SQL query against the database a URL names (SQLite file or PostgreSQL), outside the app. */
export async function queryOne<T>(url: string, sql: string): Promise<T> {
  if (url.startsWith("file:")) {
    const { default: Database } = await import("better-sqlite3");
    const conn = new Database(url.slice("file:".length), { readonly: true });
    try {
      return conn.prepare(sql).get() as T;
    } finally {
      conn.close();
    }
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}
