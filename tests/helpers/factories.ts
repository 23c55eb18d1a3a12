import { randomUUID } from "node:crypto";
import { db, type Prisma } from "../../src/db/index.js";

let sequence = 0;
const next = () => ++sequence;

export function createUser(overrides: Partial<Prisma.UserUncheckedCreateInput> = {}) {
  const n = next();
  return db().user.create({ data: { name: `User ${n}`, email: `user-${n}-${randomUUID()}@example.test`, ...overrides } });
}

export function createProduct(overrides: Partial<Prisma.ProductUncheckedCreateInput> = {}) {
  const n = next();
  return db().product.create({
    data: { name: `Product ${n}`, priceCents: 1000 + n, stockQuantity: 10, ...overrides },
  });
}

/** A PENDING order for `user` with `lines` priced from the products, totals derived from the items. */
export async function createOrder(
  userId: number,
  lines: { productId: number; quantity: number; unitPriceCents: number }[],
  overrides: Partial<Prisma.OrderUncheckedCreateInput> = {},
) {
  const items = lines.map((l) => ({ ...l, lineTotalCents: l.unitPriceCents * l.quantity }));
  const subtotalCents = items.reduce((s, i) => s + i.lineTotalCents, 0);
  return db().order.create({
    data: {
      userId,
      subtotalCents,
      totalCents: subtotalCents,
      ...overrides,
      items: { create: items },
    },
  });
}
