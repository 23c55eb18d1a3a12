import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { OPENAPI_FILE } from "../src/cli/print-openapi.js";
import { TMP_DIR } from "./helpers/server.js";

/**
 * A client generated from the committed openapi.json the way clients do it
 * (openapi-typescript types, openapi-fetch calls) type-checks with the values
 * the API returns: ids from response bodies go into path parameters as they are.
 */
const dir = join(TMP_DIR, `openapi-client-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT = `
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

export async function checkoutThenRead(baseUrl: string, token: string): Promise<string | undefined> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });
  const { data } = await client.POST("/api/checkout", {
    params: { header: { "Idempotency-Key": "order-1" } },
    body: { items: [{ productId: 3, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" },
  });
  if (!data) return undefined;
  const order = await client.GET("/api/orders/{orderId}", { params: { path: { orderId: data.orderId } } });
  const coupon = await client.POST("/api/checkout/{orderId}/apply-coupon", { params: { path: { orderId: data.orderId } }, body: { couponCode: "SAVE10" } });
  const payment = order.data?.payments[0];
  if (payment) await client.GET("/api/payments/{paymentId}", { params: { path: { paymentId: payment.id } } });
  return order.data?.status ?? coupon.error?.code;
}
`;

function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("a generated client", () => {
  it("type-checks with the ids the API returns in path parameters", async () => {
    mkdirSync(dir, { recursive: true });
    const document = JSON.parse(readFileSync(OPENAPI_FILE, "utf8"));
    writeFileSync(join(dir, "api.ts"), astToString(await openapiTS(document)));
    writeFileSync(join(dir, "client.ts"), CLIENT);
    // Resolved from the project's node_modules, as in a client's own project.
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    expect(typeErrors([join(dir, "client.ts")])).toEqual([]);
  }, 60_000);

  it("and the check can fail: a string where the document says integer is refused", async () => {
    writeFileSync(join(dir, "wrong.ts"), CLIENT.replace("orderId: data.orderId } } });\n  const coupon", 'orderId: String(data.orderId) } } });\n  const coupon'));
    const errors = typeErrors([join(dir, "wrong.ts")]);
    expect(errors.join("\n")).toMatch(/Type 'string' is not assignable to type 'number'/);
  }, 60_000);
});
