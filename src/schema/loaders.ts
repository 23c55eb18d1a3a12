import DataLoader from "dataloader";
import { countOrdersByUser } from "../services/users.js";

/**
 * Per-request batching for what the Prisma plugin cannot fold into its own
 * queries (aggregates). One instance per request: nothing is cached across users.
 */
export function createLoaders() {
  return {
    orderCountByUser: new DataLoader<number, number>(async (userIds) => {
      const counts = await countOrdersByUser(userIds);
      return userIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
