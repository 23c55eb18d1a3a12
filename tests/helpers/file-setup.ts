import { resetProcessMetrics } from "../../src/lib/metrics.js";

// A worker of the parallel project runs several files in one process (vitest.config.ts):
// each file's assertions on /metrics count from zero, as in a process of its own.
resetProcessMetrics();
