/**
 * The words about order and payment statuses agree with the lifecycle tables
 * (`orderTransitions`, `paymentTransitions`). Everything expected here is
 * derived from those tables and from the status column's Prisma default (the
 * status a record is created in), never written out: add a transition and
 * this fails until schema.graphql and docs/architecture.md say so too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, GraphQLEnumType } from "graphql";
import { describe, expect, it } from "vitest";
import { orderTransitions } from "../src/services/orders/state.js";
import { paymentTransitions } from "../src/services/payments/state.js";
import type { TransitionTable } from "../src/services/common/state-machine.js";

const root = new URL("..", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), "utf8");

interface Machine {
  /** The Prisma model, as docs/architecture.md's table names the lifecycle. */
  model: string;
  /** The Prisma and GraphQL enum. */
  enumName: string;
  table: TransitionTable<string>;
}

const machines: Machine[] = [
  { model: "Order", enumName: "OrderStatus", table: orderTransitions },
  { model: "Payment", enumName: "PaymentStatus", table: paymentTransitions },
];

const prismaModels = readdirSync(join(root, "prisma/models"))
  .filter((f) => f.endsWith(".prisma"))
  .map((f) => read(`prisma/models/${f}`))
  .join("\n");

/** The status a new record starts in: the `@default` of the model's column of this enum. */
function initialStatus(m: Machine): string {
  const found = new RegExp(`^\\s*\\w+\\s+${m.enumName}\\s.*@default\\((\\w+)\\)`, "m").exec(prismaModels);
  if (!found) throw new Error(`no @default for a ${m.enumName} column in prisma/models`);
  return found[1]!;
}

const statuses = (m: Machine) => Object.keys(m.table);
const reachedFrom = (m: Machine, status: string) => statuses(m).filter((from) => m.table[from]!.includes(status));
const isReachable = (m: Machine, status: string) => status === initialStatus(m) || reachedFrom(m, status).length > 0;

/** The sentence each status's description ends with, e.g. "Reached from: PENDING. Leads to: PROCESSING, FAILED." */
function lifecycleSentence(m: Machine, status: string): string {
  const from = reachedFrom(m, status);
  const to = m.table[status]!;
  return [
    status === initialStatus(m) ? "Initial." : "",
    from.length > 0 ? `Reached from: ${from.join(", ")}.` : "",
    to.length > 0 ? `Leads to: ${to.join(", ")}.` : "Final.",
  ]
    .filter(Boolean)
    .join(" ");
}

/** The lifecycle sentence a description ends with, as written ("(none)" when it has none). */
function writtenLifecycle(description: string): string {
  return /((?:Initial\. )?(?:Reached from: [^.]*\. )?(?:Leads to: [^.]*|Final)\.)$/.exec(description)?.[1] ?? "(none)";
}

/** Words that say a status is never entered. */
const SAYS_UNUSED = /no operation sets|nothing sets|no way in|never set|not set yet|not used|unused|unreachable|not reachable|cannot be reached/i;

/** `A -> B` pairs in a text, chains included (`A -> B -> C` gives A->B and B->C). */
function arrows(text: string): [string, string][] {
  return [...text.matchAll(/\b([A-Z][A-Z_]+)\s*->\s*(?=([A-Z][A-Z_]+)\b)/g)].map((m) => [m[1]!, m[2]!]);
}

const schema = buildSchema(read("schema.graphql"));
function enumOf(m: Machine): GraphQLEnumType {
  const type = schema.getType(m.enumName);
  if (!(type instanceof GraphQLEnumType)) throw new Error(`schema.graphql has no enum ${m.enumName}`);
  return type;
}

describe.each(machines)("$enumName in schema.graphql", (m) => {
  const type = enumOf(m);

  it("has the table's statuses", () => {
    expect(type.getValues().map((v) => v.name).sort()).toEqual(statuses(m).sort());
  });

  it.each(statuses(m))("%s: its description ends with where it comes from and goes to, as the table says", (status) => {
    const description = type.getValue(status)!.description ?? "";
    expect(writtenLifecycle(description), `${m.enumName}.${status}: "${description}"`).toBe(lifecycleSentence(m, status));
  });

  it("never calls a reachable status unused", () => {
    const wrong = type
      .getValues()
      .filter((v) => isReachable(m, v.name) && SAYS_UNUSED.test(v.description ?? ""))
      .map((v) => `${v.name}: ${v.description}`);
    expect(wrong).toEqual([]);
  });

  it("draws only allowed transitions (A -> B) in its descriptions", () => {
    const texts = [type.description ?? "", ...type.getValues().map((v) => v.description ?? "")];
    const names = new Set(statuses(m));
    const wrong = texts
      .flatMap(arrows)
      .filter(([from, to]) => names.has(from) && names.has(to) && !m.table[from]!.includes(to))
      .map(([from, to]) => `${from} -> ${to}`);
    expect(wrong).toEqual([]);
  });
});

describe("orderStatusChanged", () => {
  it("completes at the order statuses the table leaves no way out of", () => {
    const description = schema.getSubscriptionType()!.getFields().orderStatusChanged!.description ?? "";
    const named = /completes at ([A-Z_, or]+)\./.exec(description)?.[1]?.split(/, | or /) ?? [];
    const final = statuses(machines[0]!).filter((s) => orderTransitions[s as keyof typeof orderTransitions].length === 0);
    expect(named.sort()).toEqual(final.sort());
  });
});

describe("docs/architecture.md's state table", () => {
  it("lists every transition of the code's tables, and no other, with each record's first status as (new)", () => {
    const section = read("docs/architecture.md").split("## State machines")[1]!.split("\n## ")[0]!;
    const written = section
      .split("\n")
      .map((line) => line.split("|").map((cell) => cell.trim()))
      .filter((cells) => machines.some((m) => m.model === cells[1]))
      .map((cells) => `${cells[1]}: ${cells[2]} -> ${cells[3]}`);
    const expected = machines.flatMap((m) => [
      `${m.model}: (new) -> ${initialStatus(m)}`,
      ...statuses(m).flatMap((from) => m.table[from]!.map((to) => `${m.model}: ${from} -> ${to}`)),
    ]);
    expect(written.sort()).toEqual(expected.sort());
  });
});

describe("README.md and docs/", () => {
  const files = ["README.md", ...readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  /** Paragraphs, list items and table rows, cut into sentences. */
  const sentences = files.flatMap((file) =>
    read(file)
      .split(/\n\s*\n|\n(?=\s*(?:[|]|[-*] |\d+\. ))/)
      .flatMap((chunk) => chunk.replace(/\s+/g, " ").split(/(?<=[.!?])\s+/))
      .map((sentence) => ({ file, sentence })),
  );

  it("never call a reachable status unused", () => {
    const reachable = machines.flatMap((m) => statuses(m).filter((s) => isReachable(m, s)));
    const wrong = sentences.filter(({ sentence }) => SAYS_UNUSED.test(sentence) && reachable.some((s) => new RegExp(`\\b${s}\\b`).test(sentence)));
    expect(wrong).toEqual([]);
  });

  it("draw only allowed transitions (A -> B) between statuses of one lifecycle", () => {
    const wrong = sentences.flatMap(({ file, sentence }) =>
      arrows(sentence)
        .filter(([from, to]) => {
          const holding = machines.filter((m) => from in m.table && to in m.table);
          return holding.length > 0 && !holding.some((m) => m.table[from]!.includes(to));
        })
        .map(([from, to]) => `${file}: ${from} -> ${to} in "${sentence}"`),
    );
    expect(wrong).toEqual([]);
  });
});
