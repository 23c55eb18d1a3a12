import { randomUUID } from "node:crypto";

/**
 * Clients as real ones behave: after a timeout, a 5xx, a dropped connection
 * or an answer that says "retry" (409 in use, 429, 503 with Retry-After) they
 * retry with the same idempotency key; some never retry.
 */
export type Patience = "persistent" | "impatient" | "quitter";

export interface Traffic {
  requests: number;
  retries: number;
  /** Operations a quitter abandoned after a failure (their keys may hold orphan work: the harness proves it is settled). */
  abandoned: number;
  /** 503 answers, and the slowest of them: a gateway whose database is down must say so fast. */
  unavailable: number;
  slowestUnavailableMs: number;
}

export interface Answer {
  status: number;
  body: any;
}

export const newTraffic = (): Traffic => ({ requests: 0, retries: 0, abandoned: 0, unavailable: 0, slowestUnavailableMs: 0 });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function patienceOf(i: number): Patience {
  return i % 5 === 4 ? "quitter" : i % 3 === 2 ? "impatient" : "persistent";
}

/** Sends one operation until it has a definitive answer (or the client gives up); `urls` are tried in turn on a failure. */
export async function send(
  traffic: Traffic,
  urls: string[],
  request: { method: string; path: string; token: string; json?: unknown; body?: BodyInit; contentType?: string; key?: string },
  patience: Patience,
  deadline: number,
): Promise<Answer | undefined> {
  const key = request.key ?? randomUUID();
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      if (patience === "quitter" || Date.now() > deadline) {
        traffic.abandoned++;
        await pause(300); // a shopper who gave up does not come back at once
        return undefined;
      }
      traffic.retries++;
      await pause(Math.min(100 * 2 ** Math.min(attempt, 4), 1_500) * (0.5 + Math.random()));
    }
    traffic.requests++;
    const url = urls[attempt % urls.length]!;
    const sent = performance.now();
    try {
      const res = await fetch(`${url}${request.path}`, {
        method: request.method,
        headers: {
          authorization: `Bearer ${request.token}`,
          "idempotency-key": key,
          ...(request.json !== undefined ? { "content-type": "application/json" } : request.contentType ? { "content-type": request.contentType } : {}),
        },
        body: request.json !== undefined ? JSON.stringify(request.json) : request.body,
        signal: AbortSignal.timeout(patience === "impatient" ? 800 : 10_000),
      });
      const text = await res.text();
      if (res.status === 503) {
        traffic.unavailable++;
        traffic.slowestUnavailableMs = Math.max(traffic.slowestUnavailableMs, Math.round(performance.now() - sent));
      }
      if (res.status >= 500 || res.status === 429 || res.headers.has("retry-after")) continue;
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    } catch {
      // a dropped connection, a refused one (the server is down), or our own timeout
    }
  }
}
