import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestServer } from "./server.js";

export const fixture = (name: string) => readFileSync(join(process.cwd(), "tests", "fixtures", name));

export function uploadCsv(
  server: TestServer,
  content: Buffer | string,
  options: { fileName?: string; type?: string; key?: string; query?: string } = {},
) {
  const form = new FormData();
  form.append("file", new Blob([typeof content === "string" ? content : new Uint8Array(content)], { type: options.type ?? "text/csv" }), options.fileName ?? "products.csv");
  return server.request(`/api/products/bulk-upload${options.query ?? ""}`, {
    method: "POST",
    body: form,
    headers: options.key ? { "Idempotency-Key": options.key } : {},
  });
}

/** Polls the job's status URL until it is COMPLETED or FAILED. */
export async function waitForJob(server: TestServer, jobId: number, timeoutMs = 45_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await (await server.request(`/api/products/bulk-upload/${jobId}`)).json();
    if (job.status === "COMPLETED" || job.status === "FAILED") return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
