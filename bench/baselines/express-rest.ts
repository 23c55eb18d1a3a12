/**
 * B1e: bare Express (the gateway's version) answering GET with the same prepared SELECT the gateway's product list runs
 * (its keyset window, 20 rows and one more to know there is a next page), the rows as JSON.
 */
import express from "express";
import Database from "better-sqlite3";
import { statements } from "../../src/services/products/sql.js";

const db = new Database(process.env.BENCH_DB!, { readonly: true });
const select = db.prepare(statements.window);
const app = express();
app.get("/", (_req, res) => {
  res.json(select.all(2_147_483_647, 0, 21));
});
app.post("/", (_req, res) => {
  res.json({});
});
app.listen(Number(process.env.PORT), "127.0.0.1");
