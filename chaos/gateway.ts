import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

/**
 * One gateway process as `npm start` runs it (dist/main.js), on a fixed port
 * so clients keep their URL across kills. Its log lines go to a file.
 */
export class Gateway {
  private child: ChildProcess | undefined;
  private readonly log: WriteStream;
  starts = 0;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits for its "listening" line. */
  start(): Promise<void> {
    this.starts++;
    const child = spawn(process.execPath, ["dist/main.js"], {
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stderr!.pipe(this.log, { end: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway on ${this.port} did not start in 30 s`)), 30_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway on ${this.port} exited with ${code} while starting`));
      });
      createInterface({ input: child.stdout! }).on("line", (line) => {
        this.log.write(`${line}\n`);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve();
        }
      });
    });
  }

  /** Sends the signal and waits for the process to end; the exit code, or the signal that ended it. */
  stop(signal: NodeJS.Signals): Promise<number | string> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve("not running");
    return new Promise((resolve) => {
      child.once("exit", (code, killedBy) => resolve(code ?? killedBy ?? "unknown"));
      child.kill(signal);
    });
  }

  close(): void {
    this.log.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
