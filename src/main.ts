import { loadConfig } from "./config.js";
import { createLogger } from "./lib/logger.js";
import { startServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);

/** pino writes asynchronously: its last lines ("stopped", a fatal error) must reach stdout before the process ends. */
function exit(code: number): void {
  logger.flush(() => process.exit(code));
}

try {
  const running = await startServer(config, logger);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutting down");
      running.stop().then(
        () => exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          exit(1);
        },
      );
    });
  }
} catch (error) {
  logger.fatal({ err: error }, "failed to start");
  exit(1);
}
