/** B1: a bare node:http server answering GET with 20 product rows from a prepared raw better-sqlite3 SELECT. */
import { createServer } from "node:http";
import Database from "better-sqlite3";

const db = new Database(process.env.BENCH_DB!, { readonly: true });
const select = db.prepare(`SELECT id, sku, name, description, priceCents, stockQuantity FROM "Product" ORDER BY id DESC LIMIT 20`);
createServer((_req, res) => {
  const body = JSON.stringify(select.all());
  res.writeHead(200, { "content-type": "application/json" });
  res.end(body);
}).listen(Number(process.env.PORT), "127.0.0.1");
