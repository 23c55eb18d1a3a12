import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type FieldNode,
  type GraphQLCompositeType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import type { Plugin } from "@envelop/core";
import type { Plugin as YogaPlugin } from "graphql-yoga";

/** Lists without a `first` argument (order items, payments, coupons) count as this many. */
const UNPAGED_LIST_SIZE = 10;

/**
 * Query cost that counts list sizes: every field costs 1 per object it is
 * resolved for, and a connection's `first` (or a list's assumed size)
 * multiplies everything below it. `products(first: 100) { edges { node { name } } }`
 * costs about 300; a nested `users(first: 100) { orders(first: 100) { ... } }`
 * costs tens of thousands and is refused before anything runs. Connections must
 * say `first` (or `last`), at most `maxPage`.
 */
export function costLimitRule(maxCost: number, maxPage: number): ValidationRule {
  return (context: ValidationContext) => ({
    Field(node) {
      const type = context.getType();
      if (!type || !getNamedType(type).name.endsWith("Connection")) return;
      const size = node.arguments?.find((a) => a.name.value === "first" || a.name.value === "last");
      if (!size) {
        context.reportError(limitError(`${node.name.value} is a connection: say how many with first or last (at most ${maxPage})`, node, "VALIDATION_FAILED"));
      } else if (size.value.kind === Kind.INT && Number(size.value.value) > maxPage) {
        context.reportError(limitError(`${node.name.value}: ${size.name.value} must be at most ${maxPage}`, node, "VALIDATION_FAILED"));
      }
    },
    OperationDefinition(node) {
      // Each operation is costed from its own root: a subscription's selection runs for every event it sends.
      const schema = context.getSchema();
      const root = node.operation === "mutation" ? schema.getMutationType() : node.operation === "subscription" ? schema.getSubscriptionType() : schema.getQueryType();
      if (!root) return;
      const cost = selectionCost(context, root, node.selectionSet, 1, maxPage, false, new Set());
      if (cost > maxCost) {
        context.reportError(limitError(`Query cost ${cost} is over the limit of ${maxCost}: ask for smaller pages or fewer fields`, node, "QUERY_TOO_COMPLEX"));
      }
    },
  });
}

function selectionCost(
  context: ValidationContext,
  parent: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  multiplier: number,
  maxPage: number,
  paged: boolean,
  fragments: Set<string>,
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith("__")) continue;
      const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
      if (!field) continue;
      cost += multiplier;
      const named = getNamedType(field.type);
      if (!selection.selectionSet || !isCompositeType(named)) continue;
      const first = pageSize(selection, maxPage);
      const isList = isListType(getNullableType(field.type));
      // A connection's edges/nodes are the page `first` already counted.
      const childMultiplier = first !== undefined ? multiplier * first : isList && !paged ? multiplier * UNPAGED_LIST_SIZE : multiplier;
      cost += selectionCost(context, named, selection.selectionSet, childMultiplier, maxPage, first !== undefined, new Set(fragments));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? context.getSchema().getType(selection.typeCondition.name.value) : parent;
      if (type && isCompositeType(type)) cost += selectionCost(context, type, selection.selectionSet, multiplier, maxPage, paged, fragments);
    } else {
      const name = selection.name.value;
      const fragment = context.getFragment(name);
      if (!fragment || fragments.has(name)) continue;
      fragments.add(name);
      const type = context.getSchema().getType(fragment.typeCondition.name.value);
      if (type && isCompositeType(type)) cost += selectionCost(context, type, fragment.selectionSet, multiplier, maxPage, paged, fragments);
    }
  }
  return cost;
}

/** `first: 20` (or `last: 20`) counts 20; `first: $n` counts the worst case, the page cap. */
function pageSize(field: FieldNode, maxPage: number): number | undefined {
  const first = field.arguments?.find((a) => a.name.value === "first" || a.name.value === "last");
  if (!first) return undefined;
  return first.value.kind === Kind.INT ? Math.max(0, Math.min(Number(first.value.value), maxPage)) : maxPage;
}

function limitError(message: string, node: FieldNode | { loc?: unknown }, code: string): GraphQLError {
  return new GraphQLError(message, { nodes: node as FieldNode, extensions: { code } });
}

/**
 * Introspection off (production's default): a validation rule for every
 * operation on every transport. Yoga's own plugin keys it on the HTTP
 * request, which an operation over WebSocket does not have.
 */
export function useNoIntrospection(): Plugin {
  return { onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) };
}

export function useCostLimit(maxCost: number, maxPage: number): Plugin {
  return {
    onValidate: ({ addValidationRule }) => {
      addValidationRule(costLimitRule(maxCost, maxPage));
      addValidationRule(fragmentExpansionRule(MAX_EXPANDED_FIELDS));
    },
  };
}

/** Far above any real query (GraphiQL's examples expand to under 100 fields); graphql-jit compiles 5,000 in milliseconds. */
export const MAX_EXPANDED_FIELDS = 5_000;

/**
 * Refuses a document whose fragments expand to more than `max` fields when
 * every spread is written out. Execution reads a fragment spread twice in
 * one selection once, and the cost rule counts it once, but graphql-jit's
 * compiler (and any walk of the selection that does not remember fragments)
 * expands every spread: `fragment F1 on Order { ...F0 ...F0 }` doubling 40
 * times is a few hundred tokens and 2^40 fields. Sizes are memoised per
 * fragment, so the check itself is linear in the document.
 */
export function fragmentExpansionRule(max: number): ValidationRule {
  return (context: ValidationContext) => {
    const sizes = new Map<string, number>();
    const size = (set: SelectionSetNode): number =>
      set.selections.reduce((total, selection) => {
        if (selection.kind === Kind.FIELD) return total + 1 + (selection.selectionSet ? size(selection.selectionSet) : 0);
        if (selection.kind === Kind.INLINE_FRAGMENT) return total + size(selection.selectionSet);
        return total + fragmentSize(selection.name.value);
      }, 0);
    const fragmentSize = (name: string): number => {
      const known = sizes.get(name);
      if (known !== undefined) return known;
      sizes.set(name, 0); // a cycle counts nothing here: NoFragmentCycles refuses it
      const fragment = context.getFragment(name);
      const expanded = fragment ? size(fragment.selectionSet) : 0;
      sizes.set(name, expanded);
      return expanded;
    };
    return {
      OperationDefinition(node) {
        const fields = size(node.selectionSet);
        if (fields > max) {
          context.reportError(limitError(`Query cost: its fragments expand to ${fields > 1e12 ? "over a trillion" : fields} fields, over the limit of ${max}`, node, "QUERY_TOO_COMPLEX"));
        }
      },
    };
  };
}

const LIMIT_MESSAGE = /(depth|aliases|directives|token|cost)\b.*(limit|exceed|over)/i;

/** Yoga's own codes for parse and validation errors: refined when a limit is the cause. */
const GENERIC = new Set(["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"]);

function codeFor(message: string): string {
  if (LIMIT_MESSAGE.test(message)) return "QUERY_TOO_COMPLEX";
  return message.startsWith("Syntax Error") ? "GRAPHQL_PARSE_FAILED" : "GRAPHQL_VALIDATION_FAILED";
}

/**
 * Every error in a response gets a code, like every other error: execution
 * errors have theirs from error masking; what is left comes from parsing and
 * validation (QUERY_TOO_COMPLEX for the limits: depth, aliases, directives,
 * tokens, cost; GRAPHQL_PARSE_FAILED; GRAPHQL_VALIDATION_FAILED).
 */
export function useErrorCodes(): YogaPlugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== "object" || !("errors" in result) || !result.errors) return;
      if (!result.errors.some(needsCode)) return;
      setResult({ ...result, errors: result.errors.map(withErrorCode) });
    },
  };
}

const needsCode = (e: GraphQLError) => !e.extensions?.code || (GENERIC.has(String(e.extensions.code)) && LIMIT_MESSAGE.test(e.message));

/** The error with its code (the one it has, or the parse, validation or limit code its message names). */
export function withErrorCode(e: GraphQLError): GraphQLError {
  if (!needsCode(e)) return e;
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    extensions: { ...e.extensions, code: codeFor(e.message) },
  });
}
