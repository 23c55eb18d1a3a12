import { fork, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * A local OTLP/HTTP endpoint that accepts every export and keeps nothing but
 * counts: what the tracing-overhead scenario exports to. It runs in a process
 * of its own, as a collector would, so receiving does not slow the load
 * generator: the figure is the gateway's cost of recording, batching,
 * encoding and sending its spans.
 */
export interface SpanSink {
  url: string;
  exports(): Promise<{ requests: number; bytes: number }>;
  close(): Promise<void>;
}

export async function startSpanSink(): Promise<SpanSink> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--serve"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const url = await new Promise<string>((resolve) => child.once("message", (m) => resolve(String(m))));
  return {
    url,
    exports: () =>
      new Promise((resolve) => {
        child.once("message", (m) => resolve(m as { requests: number; bytes: number }));
        child.send("counts");
      }),
    close: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    },
  };
}

function serve(): void {
  let requests = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      requests++;
      const json = (req.headers["content-type"] ?? "").startsWith("application/json");
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" }).end(json ? "{}" : undefined);
    });
  });
  server.listen(0, "127.0.0.1", () => process.send!(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  process.on("message", () => process.send!({ requests, bytes }));
}

if (process.argv.includes("--serve")) serve();
