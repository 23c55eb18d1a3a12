/** B1e: bare Express (the gateway's version) answering GET with the same 20 product rows from the same prepared SELECT, as JSON. */
import express from "express";
import Database from "better-sqlite3";

const db = new Database(process.env.BENCH_DB!, { readonly: true });
const select = db.prepare(`SELECT id, sku, name, description, priceCents, stockQuantity FROM "Product" ORDER BY id DESC LIMIT 20`);
const app = express();
app.get("/", (_req, res) => {
  res.json(select.all());
});
app.post("/", (_req, res) => {
  res.json({});
});
app.listen(Number(process.env.PORT), "127.0.0.1");
