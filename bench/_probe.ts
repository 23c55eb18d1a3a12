import { benchAuth } from "./lib.js";
import { load, prepareDatabase, userOrdersQuery, withOurServer, cleanup } from "./http-scenarios.js";
const { file, userId } = await prepareDatabase();
const auth = await benchAuth(userId);
const rest = process.env.REST;
const body = JSON.stringify({ query: process.env.QUERY ? process.env.QUERY.replace("UID", String(userId)) : userOrdersQuery(userId, Number(process.env.FIRST ?? 50)) });
await withOurServer(file, JSON.parse(process.env.PROBE_ENV ?? "{}"), async (s) => {
  for (let i = 0; i < Number(process.env.ROUNDS ?? 4); i++) {
    const r = rest
      ? await load({ url: `${s.url}${rest}`, connections: Number(process.env.CONNS ?? 50), seconds: Number(process.env.SECS ?? 2), headers: auth })
      : await load({ url: `${s.url}/graphql`, connections: Number(process.env.CONNS ?? 50), seconds: Number(process.env.SECS ?? 2), method: "POST", body, headers: { "content-type": "application/json", ...auth } });
    console.log(`round ${i}: ${r.rps} req/s p50 ${r.p50} p99 ${r.p99} all ${r.p99All} non2xx ${r.non2xx}`);
  }
});
cleanup(file);
