import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { Config } from "../../src/config.js";
import { OpenApiContract } from "./openapi-contract.js";

/** Where each test file notes what it checked; the summary reporter reads it (the same path as in summary-reporter.ts). */
const CONTRACT_LOG_DIR = join(process.cwd(), ".tmp", "test", "openapi-contract");

/**
 * Every REST answer the suite receives is checked against the OpenAPI
 * document of the server that sent it (a setup file: it wraps fetch for every
 * test file). A departure fails the file; the run's summary counts what was
 * checked (helpers/summary-reporter.ts).
 */
interface ContractCheck {
  realFetch: typeof fetch;
  /** The document of each server under test, by origin. */
  contracts: Map<string, OpenApiContract>;
  /** The current file's departures and checked answers. */
  departures: string[];
  seen: string[];
}

// A worker of the parallel project runs several files in one process and runs this file anew
// before each, while the helpers that call checkRestAnswers keep the first file's copy of it:
// one state for the process, kept on globalThis, is what both see.
const STATE = Symbol.for("shop-gateway.contract-check");
const holder = globalThis as unknown as Record<symbol, ContractCheck>;
const check = (holder[STATE] ??= { realFetch: globalThis.fetch, contracts: new Map(), departures: [], seen: [] });
check.departures = [];
check.seen = [];
const { realFetch } = check;

/** Checks this server's REST answers from now on. */
export function checkRestAnswers(url: string, config: Config): void {
  check.contracts.set(new URL(url).origin, OpenApiContract.for(config));
}

globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
  const response = await realFetch(input, init);
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  const contract = check.contracts.get(url.origin);
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  // HEAD has no body to check; OPTIONS is a browser's CORS preflight, answered by the edge for any path.
  if (!contract || !url.pathname.startsWith("/api/") || method === "HEAD" || method === "OPTIONS") return response;
  const json = (response.headers.get("content-type") ?? "").startsWith("application/json");
  const body = json ? await response.clone().text() : undefined;
  check.departures.push(...contract.check({ method, url: url.href, status: response.status, headers: response.headers, body }));
  check.seen.push(`${contract.operationOf(method, url.pathname)?.operation.operationId ?? "(no route)"} ${response.status}`);
  return response;
};

afterAll(() => {
  const { seen, departures } = check;
  if (seen.length > 0) {
    mkdirSync(CONTRACT_LOG_DIR, { recursive: true });
    appendFileSync(join(CONTRACT_LOG_DIR, `${process.pid}.log`), `${seen.join("\n")}\n`);
  }
  if (departures.length > 0) throw new Error(`REST answers that depart from the OpenAPI document:\n${[...new Set(departures)].join("\n")}`);
});
