import { db, type Prisma } from "../../db/index.js";
import { NotFoundError } from "../../errors.js";

export const paymentDetails = { order: true } satisfies Prisma.PaymentInclude;
export type PaymentDetails = Prisma.PaymentGetPayload<{ include: typeof paymentDetails }>;

export async function getPayment(id: number): Promise<PaymentDetails> {
  const payment = await db().payment.findUnique({ where: { id }, include: paymentDetails });
  if (!payment) throw new NotFoundError("Payment", id);
  return payment;
}

export function findPayment<Q extends Omit<Prisma.PaymentFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().payment.findUnique({ ...query, where: { id } });
}
