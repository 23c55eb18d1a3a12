import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "./logger.js";

/** What one request carries through its async work: ids, its logger, its database time. */
export interface RequestContext {
  requestId: string;
  logger: Logger;
  dbQueries: number;
  dbTimeMs: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function requestContext(): RequestContext | undefined {
  return storage.getStore();
}
