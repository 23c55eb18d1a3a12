import { builder } from "./builder.js";
import { formatUsd, parseId } from "./fields.js";
import { resolveCursorConnection } from "@pothos/plugin-relay";
import { MAX_CONNECTION_SIZE } from "./builder.js";
import { createProduct, findProduct, productWindow, type Product } from "../services/products/index.js";
import { decodeCursor, encodeCursor } from "../services/pagination.js";

export const ProductRef = builder.prismaObject("Product", {
  fields: (t) => ({
    id: t.exposeID("id"),
    sku: t.exposeString("sku", { nullable: true }),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    priceCents: t.exposeInt("priceCents"),
    priceFormatted: t.string({ resolve: (p) => formatUsd(p.priceCents) }),
    stockQuantity: t.exposeInt("stockQuantity", { description: "Units available for sale" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const CreateProductInput = builder.inputType("CreateProductInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    priceCents: t.int({ required: true }),
    stockQuantity: t.int({ required: true }),
    sku: t.string(),
    allowZeroPrice: t.boolean({ description: "Required with priceCents 0: a free product is a deliberate choice" }),
  }),
});

const CreateProductPayload = builder.objectRef<{ product: Product }>("CreateProductPayload").implement({
  fields: (t) => ({ product: t.field({ type: ProductRef, resolve: (payload) => payload.product }) }),
});

builder.queryFields((t) => ({
  products: t.connection({
    type: ProductRef,
    description: "Products, newest first",
    resolve: (_root, args) =>
      resolveCursorConnection<Promise<Product[]>>({ args, toCursor: (p: Product) => encodeCursor(p.id), maxSize: MAX_CONNECTION_SIZE }, (page): Promise<Product[]> =>
        productWindow({
          olderThan: page.after ? decodeCursor(page.after) : undefined,
          newerThan: page.before ? decodeCursor(page.before) : undefined,
          limit: page.limit,
          oldestFirst: page.inverted,
        }),
      ),
  }),
  product: t.prismaField({
    type: "Product",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args) => findProduct(query, parseId(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createProduct: t.field({
    authScopes: { admin: "create products" },
    type: CreateProductPayload,
    args: { input: t.arg({ type: CreateProductInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ product: await createProduct(ctx.principal, input) }),
  }),
}));
