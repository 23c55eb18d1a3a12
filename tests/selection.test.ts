import { describe, expect, it } from "vitest";
import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode } from "graphql";
import { fieldsAt, selects } from "../src/schema/selection.js";

/** What a resolver of the operation's first root field is given: its field nodes and the document's fragments. */
function infoFor(source: string): GraphQLResolveInfo {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments } as unknown as GraphQLResolveInfo;
}

describe("what a resolver reads of the operation's selection", () => {
  it("names the fields at a path through fields, inline fragments and named fragments", () => {
    const info = infoFor(`query Page { orders(first: 2) { edges { cursor node { id ... on Order { status } ...More } } } }
      fragment More on Order { items { product { name } } createdAt }`);
    expect(fieldsAt(info, ["edges", "node"])).toEqual(new Set(["id", "status", "items", "createdAt"]));
    expect(fieldsAt(info, ["edges"])).toEqual(new Set(["cursor", "node"]));
    expect(selects(info, ["edges", "node", "items", "product"])).toBe(true);
    expect(selects(info, ["edges", "node", "payments"])).toBe(false);
    expect(fieldsAt(info, ["pageInfo"])).toEqual(new Set());
  });

  it("walks a fragment spread many times over once per depth: a chain that doubles 40 times is 2^40 fields written out", () => {
    let fragments = "fragment F0 on Order { id items { quantity } }";
    for (let i = 1; i <= 40; i++) fragments += ` fragment F${i} on Order { ...F${i - 1} ...F${i - 1} }`;
    const info = infoFor(`query Bomb { orders(first: 1) { edges { node { ...F40 } } } } ${fragments}`);
    expect(fieldsAt(info, ["edges", "node"])).toEqual(new Set(["id", "items"]));
    expect(selects(info, ["edges", "node", "items", "quantity"])).toBe(true);
  });
});
