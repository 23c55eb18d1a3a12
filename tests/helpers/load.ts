/** Latency percentiles of reads issued in a loop by `concurrency` workers until `until` settles. */
export async function measureReads(
  requests: (() => Promise<Response>)[],
  until: Promise<unknown>,
  concurrency = 3,
): Promise<{ count: number; p50: number; p99: number; max: number; statuses: number[] }> {
  let done = false;
  const stop = () => (done = true);
  until.then(stop, stop);
  const latencies: number[] = [];
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; !done; i++) {
        const started = performance.now();
        const res = await requests[i % requests.length]!();
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
        statuses.push(res.status);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0;
  return { count: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? 0, statuses };
}
