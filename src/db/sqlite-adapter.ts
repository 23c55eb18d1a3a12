import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { Mutex } from "../lib/mutex.js";

/**
 * The better-sqlite3 adapter runs everything on one connection and only
 * serialises transactions against each other: a plain query issued while an
 * interactive transaction is open would run *inside* it (and vanish with its
 * rollback). Every statement outside a transaction therefore waits for the
 * open transaction to finish, which is what SQLite's single writer means anyway.
 */
export class SerializedSqliteAdapterFactory implements SqlDriverAdapterFactory {
  readonly provider = "sqlite" as const;
  readonly adapterName: string;
  readonly #inner: PrismaBetterSQLite3;
  readonly #pragmas: string;
  readonly #queueTimeoutMs: number;
  /** Held by every statement and transaction on this database (and by the bulk writer). */
  readonly lock = new Mutex();

  constructor(url: string, { busyTimeoutMs, queueTimeoutMs }: { busyTimeoutMs: number; queueTimeoutMs: number }) {
    this.#queueTimeoutMs = queueTimeoutMs;
    this.#inner = new PrismaBetterSQLite3({ url, timeout: busyTimeoutMs });
    this.adapterName = this.#inner.adapterName;
    this.#pragmas = sqlitePragmas(busyTimeoutMs).join(";\n");
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.#inner.connect();
    await adapter.executeScript(this.#pragmas);
    return serialize(adapter, this.lock, this.#queueTimeoutMs);
  }
}

/**
 * WAL lets readers in other connections run beside the writer; foreign keys
 * are per connection and off by default in SQLite.
 */
export function sqlitePragmas(busyTimeoutMs: number): string[] {
  return ["PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 10000", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", `PRAGMA busy_timeout = ${busyTimeoutMs}`];
}

function serialize(adapter: SqlDriverAdapter, lock: Mutex, queueTimeoutMs: number): SqlDriverAdapter {
  const run = <T>(fn: () => Promise<T>) => lock.run(fn, queueTimeoutMs);
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => run(() => adapter.queryRaw(query)),
    executeRaw: (query) => run(() => adapter.executeRaw(query)),
    executeScript: (script) => run(() => adapter.executeScript(script)),
    dispose: () => lock.run(() => adapter.dispose()),
    async startTransaction(isolationLevel): Promise<Transaction> {
      // No timeout of our own here: Prisma's maxWait governs transactions, and it
      // rolls back a transaction that started after the caller gave up.
      const release = await lock.acquire();
      try {
        const tx = await adapter.startTransaction(isolationLevel);
        return releasingOnEnd(tx, release);
      } catch (error) {
        release();
        throw error;
      }
    },
  };
}

function releasingOnEnd(tx: Transaction, release: () => void): Transaction {
  let released = false;
  const end = async (finish: () => Promise<void>) => {
    try {
      await finish();
    } finally {
      if (!released) {
        released = true;
        release();
      }
    }
  };
  return {
    provider: tx.provider,
    adapterName: tx.adapterName,
    options: tx.options,
    queryRaw: (query) => tx.queryRaw(query),
    executeRaw: (query) => tx.executeRaw(query),
    commit: () => end(() => tx.commit()),
    rollback: () => end(() => tx.rollback()),
  };
}
