import { builder } from "./builder.js";
import "./user.js";
import "./product.js";
import "./order.js";
import "./payment.js";
import "./coupon.js";
import "./bulk-upload.js";
import "./checkout.js";
import "./subscription.js";
import "./audit.js";

export const schema = builder.toSchema({ sortSchema: true });
