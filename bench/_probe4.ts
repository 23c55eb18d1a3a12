import { spawn } from "node:child_process";
import autocannon from "autocannon";
const port = 45000 + Math.floor(Math.random() * 1000);
const server = spawn(process.execPath, ["-e", `
  const body = "x".repeat(Number(process.argv[1]));
  require("node:http").createServer((req, res) => { let n = 0; req.on("data", () => {}); req.on("end", () => { const t = performance.now(); while (performance.now() - t < Number(process.argv[2])) n++; res.setHeader("content-type", "application/json"); res.end(body); }); }).listen(${port}, "127.0.0.1");
`, process.env.SIZE ?? "10000", process.env.MS ?? "2"], { stdio: "inherit" });
await new Promise((r) => setTimeout(r, 500));
for (let i = 0; i < 2; i++) {
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: Number(process.env.CONNS ?? 50), duration: 3, method: "POST", body: "{}", headers: { "content-type": "application/json" } });
  const l = r.latency as any;
  console.log(r.requests.average, "p50", l.p50, "p75", l.p75, "p90", l.p90, "p97.5", l.p97_5, "p99", l.p99, "max", l.max);
}
server.kill();
