import { spawn } from "node:child_process";
import { load } from "./http-scenarios.js";
const port = 45000 + Math.floor(Math.random() * 1000);
const server = spawn(process.execPath, ["-e", `
  const body = "x".repeat(Number(process.argv[1]));
  require("node:http").createServer((req, res) => { let n = 0; req.on("data", () => {}); req.on("end", () => { const t = performance.now(); while (performance.now() - t < Number(process.argv[2])) n++; res.setHeader("content-type", "application/json"); res.end(body); }); }).listen(${port}, "127.0.0.1");
`, process.env.SIZE ?? "10000", process.env.MS ?? "2"], { stdio: "inherit" });
await new Promise((r) => setTimeout(r, 500));
for (let i = 0; i < 3; i++) {
  const r = await load({ url: `http://127.0.0.1:${port}/`, connections: 50, seconds: 2, method: "POST", body: "{}", headers: { "content-type": "application/json" } });
  console.log(`round ${i}: ${r.rps} req/s p50 ${r.p50} p99 ${r.p99}`);
}
server.kill();
