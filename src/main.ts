import { loadConfig } from "./config.js";
import { createLogger } from "./lib/logger.js";
import { startServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);

try {
  const running = await startServer(config, logger);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutting down");
      running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
} catch (error) {
  logger.fatal({ err: error }, "failed to start");
  process.exit(1);
}
