import { randomUUID } from "node:crypto";
import type { Db } from "./index.js";
import { parseLegacyDiscount } from "../services/coupons/legacy.js";

const DAY_MS = 24 * 60 * 60 * 1000;

const users = [
  { name: "Alice Johnson", email: "alice@example.com" },
  { name: "Bob Smith", email: "bob@example.com" },
  { name: "Charlie Davis", email: "charlie@example.com" },
];

const products = [
  { sku: "WH-1000", name: "Wireless Headphones", description: "Premium noise-cancelling wireless headphones", priceCents: 19999, stockQuantity: 50 },
  { sku: "LS-2000", name: "Laptop Stand", description: "Adjustable aluminium laptop stand", priceCents: 4999, stockQuantity: 100 },
  { sku: "MK-3000", name: "Mechanical Keyboard", description: "RGB mechanical keyboard", priceCents: 12999, stockQuantity: 30 },
  { sku: "HUB-4000", name: "USB-C Hub", description: "7-in-1 USB-C hub with HDMI and SD reader", priceCents: 3999, stockQuantity: 75 },
  { sku: "CAM-5000", name: "Webcam", description: "1080p webcam with auto-focus", priceCents: 7999, stockQuantity: 40 },
  { sku: "LAMP-6000", name: "Desk Lamp", description: "Adjustable LED desk lamp", priceCents: 3499, stockQuantity: 60 },
  { sku: "PAD-7000", name: "Mouse Pad", description: "Extra large mouse pad", priceCents: 1999, stockQuantity: 200 },
  { sku: "PS-8000", name: "Phone Stand", description: "Adjustable phone stand", priceCents: 1499, stockQuantity: 150 },
];

/** True when the database holds no users: the only case in which start-up seeds. */
export async function isEmpty(prisma: Db): Promise<boolean> {
  return (await prisma.user.count()) === 0;
}

/**
 * The demo data the storefront team knows (docs/api.md has the API they use). Stock
 * figures are what is still available: the seeded orders' reservations are
 * already committed. Totals are derived from the items, never typed in.
 */
/** A succeeded charge in the simulated gateway's ledger, as a card payment leaves one. */
async function seededCharge(tx: Parameters<Parameters<Db["$transaction"]>[0]>[0], amountCents: number): Promise<string> {
  const chargeId = `ch_seed_${randomUUID().replaceAll("-", "")}`;
  await tx.simulatedGatewayCharge.create({ data: { chargeId, idempotencyKey: `seed_${chargeId}`, amountCents, cardLast4: "4242", status: "succeeded" } });
  return chargeId;
}

export async function seedDemoData(prisma: Db, now = new Date()): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const [alice, bob, charlie] = await Promise.all(users.map((data) => tx.user.create({ data })));
    const bySku = new Map<string, { id: number; priceCents: number }>();
    for (const data of products) {
      const p = await tx.product.create({ data });
      bySku.set(data.sku, p);
    }
    const product = (sku: string) => bySku.get(sku)!;
    const inDays = (days: number) => new Date(now.getTime() + days * DAY_MS);

    const placeOrder = async (
      userId: number,
      lines: [sku: string, quantity: number][],
      state: { status: "PENDING" | "PAID" | "FULFILLED"; reservedUntil?: Date },
    ) => {
      const items = lines.map(([sku, quantity]) => {
        const { id, priceCents } = product(sku);
        return { productId: id, quantity, unitPriceCents: priceCents, lineTotalCents: priceCents * quantity };
      });
      const subtotalCents = items.reduce((sum, i) => sum + i.lineTotalCents, 0);
      const paid = state.status !== "PENDING";
      return tx.order.create({
        data: {
          userId,
          status: state.status,
          subtotalCents,
          totalCents: subtotalCents,
          reservedUntil: state.reservedUntil ?? null,
          paidAt: paid ? now : null,
          fulfilledAt: state.status === "FULFILLED" ? now : null,
          items: { create: items },
          reservations: {
            create: items.map((i) => ({
              productId: i.productId,
              quantity: i.quantity,
              status: paid ? "COMMITTED" : "ACTIVE",
              expiresAt: state.reservedUntil ?? now,
            })),
          },
          payments: paid
            ? {
                create: {
                  status: "COMPLETED",
                  amountCents: subtotalCents,
                  paymentMethod: "credit_card",
                  cardLast4: "4242",
                  fraudScore: 0.1,
                  // The charge the simulated gateway holds for it, so the demo order can be refunded like any other.
                  gatewayChargeId: await seededCharge(tx, subtotalCents),
                },
              }
            : undefined,
        },
      });
    };

    await placeOrder(alice!.id, [["WH-1000", 1], ["LS-2000", 1]], { status: "PAID" });
    // A demo order must stay payable for a while, so its reservation lasts a week.
    await placeOrder(bob!.id, [["MK-3000", 1]], { status: "PENDING", reservedUntil: inDays(7) });
    const fulfilled = await placeOrder(
      charlie!.id,
      [["HUB-4000", 1], ["LAMP-6000", 1], ["PAD-7000", 1]],
      { status: "FULFILLED" },
    );
    await tx.shipment.create({
      data: { orderId: fulfilled.id, carrier: "SIMULATED", trackingNumber: "TRK-DEMO-000001" },
    });

    await tx.coupon.createMany({
      data: [
        { code: "SAVE10", type: "PERCENTAGE", percentOffBps: 1000, description: "10% off", expiresAt: inDays(30) },
        { code: "SAVE25", type: "PERCENTAGE", percentOffBps: 2500, description: "25% off", expiresAt: inDays(7) },
        { code: "EXPIRED", type: "PERCENTAGE", percentOffBps: 5000, description: "50% off (expired)", expiresAt: inDays(-7) },
        // The legacy row whose free-form value "15%" became NaN: converted the way the data migration does.
        { code: "BUGGY", type: "PERCENTAGE", percentOffBps: parseLegacyDiscount("15%"), description: "Legacy coupon once stored as \"15%\"" },
      ],
    });
  });
}
