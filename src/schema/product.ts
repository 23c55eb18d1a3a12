import { builder, MAX_CONNECTION_SIZE } from "./builder.js";
import { formatUsd, parseId } from "./fields.js";
import { resolveCursorConnection } from "@pothos/plugin-relay";
import { createProduct, findProduct, productWindow, type Product } from "../services/products/index.js";
import { decodeCursor, encodeCursor } from "../services/common/index.js";

export const ProductRef = builder.prismaObject("Product", {
  description: "A product in the catalogue. Anyone may read it.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The product's database id, the same as in REST." }),
    sku: t.exposeString("sku", { nullable: true, description: "Stock-keeping unit, unique across products; null when the product has none." }),
    name: t.exposeString("name", { description: "Display name." }),
    description: t.exposeString("description", { nullable: true, description: "Free-text description; null when there is none." }),
    priceCents: t.exposeInt("priceCents", { description: "Current price in integer cents (USD); 0 for a product an admin made free." }),
    priceFormatted: t.string({ description: "The price for display, such as $1,234.50; compute with priceCents.", resolve: (p) => formatUsd(p.priceCents) }),
    stockQuantity: t.exposeInt("stockQuantity", { description: "Units still for sale: unpaid orders' reservations are already taken off." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the product was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the product last changed, stock changes included." }),
  }),
});

const CreateProductInput = builder.inputType("CreateProductInput", {
  description: "A new product; a field that breaks its rule is VALIDATION_FAILED, named in details.fields.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Display name, 1 to 200 characters after trimming, without control characters." }),
    description: t.string({ description: "Free text, at most 2,000 characters, without control characters." }),
    priceCents: t.int({ required: true, description: "Price in integer cents (USD), 0 to 100,000,000; 0 needs allowZeroPrice." }),
    stockQuantity: t.int({ required: true, description: "Units for sale, 0 to 1,000,000,000." }),
    sku: t.string({ description: "Optional unique code: up to 64 letters, digits and . _ - /, starting with a letter or digit; a sku in use is DUPLICATE." }),
    allowZeroPrice: t.boolean({ description: "Required with priceCents 0 (else VALIDATION_FAILED): a free product is a deliberate choice." }),
  }),
});

const CreateProductPayload = builder.objectRef<{ product: Product }>("CreateProductPayload").implement({
  description: "The result of createProduct.",
  fields: (t) => ({ product: t.field({ type: ProductRef, description: "The product created.", resolve: (payload) => payload.product }) }),
});

builder.queryFields((t) => ({
  products: t.connection({
    type: ProductRef,
    description: "Anyone: the catalogue, newest first.",
    resolve: (_root, args) =>
      resolveCursorConnection<Promise<Product[]>>({ args, toCursor: (p: Product) => encodeCursor(p.id), maxSize: MAX_CONNECTION_SIZE }, (page): Promise<Product[]> =>
        productWindow({
          olderThan: page.after ? decodeCursor(page.after) : undefined,
          newerThan: page.before ? decodeCursor(page.before) : undefined,
          limit: page.limit,
          oldestFirst: page.inverted,
        }),
      ),
  }, { description: "A page of products, newest first." }, { description: "A product and its cursor." }),
  product: t.prismaField({
    type: "Product",
    nullable: true,
    description: "Anyone: a product by id; null when there is none.",
    args: { id: t.arg.id({ required: true, description: "The product's id, a positive integer (else VALIDATION_FAILED)." }) },
    resolve: (query, _root, args) => findProduct(query, parseId(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createProduct: t.field({
    authScopes: { admin: "create products" },
    type: CreateProductPayload,
    description: "Admins only: creates a product (audited). Errors: VALIDATION_FAILED, DUPLICATE (the sku is in use).",
    args: { input: t.arg({ type: CreateProductInput, required: true, description: "The product to create." }) },
    resolve: async (_root, { input }, ctx) => ({ product: await createProduct(ctx.principal, input) }),
  }),
}));
