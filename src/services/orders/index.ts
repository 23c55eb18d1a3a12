/**
 * Orders: what a client reads of them (./queries.ts), the lifecycle every
 * status change goes through (./state.ts's table, ./lifecycle.ts's
 * transitions with their side effects) and the expiry of unpaid ones.
 */
export { cancelInputSchema, requestCancellation, type CancelResult } from "./cancel.js";
export { expireReservations } from "./expiry.js";
export { cancelOrder, failOrder, type Cancellation, type CancellableStatus, markOrderFulfilled, markOrderPaid, startFulfilment, type Fulfilled } from "./lifecycle.js";
export { findOrder, findVisibleOrder, getOrder, listOrdersForUser, orderDetails, type OrderDetails } from "./queries.js";
export { findOrderTotals, itemsForOrders, orderOwner, orderSummaryWindows, orderWindows, type Order, type OrderItem, type OrderSummary, type OrderWindow } from "./sql.js";
export { orderNotPending, orderTransitions } from "./state.js";
