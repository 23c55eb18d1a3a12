import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    pool: "forks",
    // One file at a time: the latency tests (payments-isolation) measure p99 on 2 cores.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
  },
});
