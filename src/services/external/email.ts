import { settings } from "../settings.js";
import { assertOutsideTransaction, simulatedLatency } from "./guard.js";

export class EmailDeliveryError extends Error {}

/** The simulated e-mail provider: fails a share EMAIL_FAILURE_RATE of sends. */
export async function sendEmail(message: { to: string; template: string; data: Record<string, unknown> }): Promise<void> {
  assertOutsideTransaction("e-mail provider");
  await simulatedLatency(5, 2_000);
  if (Math.random() < settings().email.failureRate) throw new EmailDeliveryError(`could not send ${message.template}`);
}
