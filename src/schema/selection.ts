import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/**
 * Whether the operation asks for the field at `path` below the one being
 * resolved (`["edges", "node", "items"]`), through fragments and inline
 * fragments. `@skip`/`@include` are not evaluated: a field that may be asked
 * for counts, so a caller reads at most what the query could need.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return info.fieldNodes.some((field) => field.selectionSet !== undefined && within(field.selectionSet, path, info.fragments));
}

function within(set: SelectionSetNode, path: readonly string[], fragments: Record<string, FragmentDefinitionNode>): boolean {
  const [name, ...rest] = path;
  return set.selections.some((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return selection.name.value === name && (rest.length === 0 || (selection.selectionSet !== undefined && within(selection.selectionSet, rest, fragments)));
      case Kind.INLINE_FRAGMENT:
        return within(selection.selectionSet, path, fragments);
      case Kind.FRAGMENT_SPREAD: {
        const fragment = fragments[selection.name.value];
        return fragment !== undefined && within(fragment.selectionSet, path, fragments);
      }
    }
  });
}
