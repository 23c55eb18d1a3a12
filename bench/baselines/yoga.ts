/** B2: a bare graphql-yoga server whose `products` resolver runs the same raw SELECT. */
import { createServer } from "node:http";
import Database from "better-sqlite3";
import { createSchema, createYoga } from "graphql-yoga";

const db = new Database(process.env.BENCH_DB!, { readonly: true });
const select = db.prepare(`SELECT id, sku, name, description, priceCents, stockQuantity FROM "Product" ORDER BY id DESC LIMIT ?`);
const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs: `type Product { id: ID! sku: String name: String! description: String priceCents: Int! stockQuantity: Int! }
               type Query { products(first: Int!): [Product!]! }`,
    resolvers: { Query: { products: (_: unknown, args: { first: number }) => select.all(args.first) } },
  }),
});
createServer(yoga).listen(Number(process.env.PORT), "127.0.0.1");
