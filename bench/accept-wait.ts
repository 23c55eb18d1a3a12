/**
 * Why the bench leaves each connection's first request out of p50/p99 (bench/README.md, "Tails"):
 * a bare `node:net` server that spends BURN_MS of CPU per request, loaded like every HTTP scenario
 * (autocannon, 50 fresh connections). It prints when the server accepted each connection and the
 * p99 with and without first requests. `npx tsx bench/accept-wait.ts` (BURN_MS, default 2).
 */
import { spawn } from "node:child_process";
import { load } from "./http-scenarios.js";

const server = spawn(process.execPath, ["-e", `
  const response = "HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}";
  const accepted = []; let first;
  require("node:net").createServer((socket) => {
    first ??= performance.now();
    accepted.push(Math.round(performance.now() - first));
    socket.on("error", () => {});
    socket.on("data", () => {
      const until = performance.now() + Number(process.env.BURN_MS ?? 2);
      while (performance.now() < until);
      socket.write(response);
    });
  }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });
  process.on("SIGTERM", () => { console.log("accepted at (ms after the first): " + accepted.join(" ")); process.exit(0); });
`], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise<string>((resolve) => server.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim())));
const figures = await load({ url: `http://127.0.0.1:${port}/`, connections: 50, seconds: 3 });
console.log(`${figures.rps} req/s; p50 ${figures.p50} ms; p99 ${figures.p99} ms over established connections; ${figures.p99All} ms over every request`);
server.stdout!.on("data", (chunk: Buffer) => process.stdout.write(chunk));
server.kill("SIGTERM");
await new Promise((resolve) => server.once("exit", resolve));
