import { spawn } from "node:child_process";
import { benchAuth } from "./lib.js";
import { load, prepareDatabase, userOrdersQuery, withOurServer, cleanup } from "./http-scenarios.js";
const { file, userId } = await prepareDatabase();
const auth = await benchAuth(userId);
const body = JSON.stringify({ query: process.env.QUERY ? process.env.QUERY.replace("UID", String(userId)) : userOrdersQuery(userId, Number(process.env.FIRST ?? 50)) });
await withOurServer(file, JSON.parse(process.env.PROBE_ENV ?? "{}"), async (s) => {
  const probe = spawn(process.execPath, ["-e", `
    const http = require("node:http"); const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const lat = []; const end = Date.now() + 7000;
    const one = () => new Promise((res) => { const t = performance.now(); const r = http.request(process.argv[1], { method: "POST", agent, headers: JSON.parse(process.argv[2]) }, (m) => { m.resume(); m.on("end", () => { lat.push(performance.now() - t); res(); }); }); r.end(process.argv[3]); });
    (async () => { while (Date.now() < end) { await one(); await new Promise((r) => setTimeout(r, 20)); } lat.sort((a, b) => a - b); const q = (p) => lat[Math.floor(lat.length * p)].toFixed(1); console.log("probe n", lat.length, "p50", q(0.5), "p90", q(0.9), "p99", q(0.99), "max", lat[lat.length - 1].toFixed(1)); })();
  `, `${s.url}/graphql`, JSON.stringify({ "content-type": "application/json", ...auth }), body], { stdio: "inherit" });
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 3; i++) {
    const r = await load({ url: `${s.url}/graphql`, connections: Number(process.env.CONNS ?? 50), seconds: 2, method: "POST", body, headers: { "content-type": "application/json", ...auth } });
    console.log(`round ${i}: ${r.rps} req/s p50 ${r.p50} p99 ${r.p99} non2xx ${r.non2xx}`);
  }
  await new Promise((r) => probe.once("exit", r));
});
cleanup(file);
