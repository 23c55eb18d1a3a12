import type { Cents } from "../../lib/money.js";
import { FraudCheckClient, type FraudCheckSettings } from "../external/index.js";

let client: FraudCheckClient | undefined;
let rejectThreshold = 1;

/** One client per process: its circuit breaker is this instance's view of the fraud service. */
export function configureFraudCheck(settings: FraudCheckSettings & { rejectThreshold: number }): void {
  client = new FraudCheckClient(settings);
  rejectThreshold = settings.rejectThreshold;
}

export function fraudCheckClient(): FraudCheckClient {
  if (!client) throw new Error("fraud check not configured: call configureServices(config) first");
  return client;
}

/**
 * The fraud decision: the external service scores an amount (a network call,
 * outside any transaction, with its timeout and circuit breaker; 503 when it
 * cannot answer), and a score at or above FRAUD_SCORE_REJECT_THRESHOLD rejects
 * the payment before the card is ever charged.
 */
export const fraudDecision = {
  score: async (amountCents: Cents): Promise<number> => (await fraudCheckClient().check(amountCents)).score,
  rejects: (score: number): boolean => score >= rejectThreshold,
};
