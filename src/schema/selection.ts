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

/** The names of the fields the operation may ask for at `path` (its last step's selections, through fragments). */
export function fieldsAt(info: GraphQLResolveInfo, path: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const field of info.fieldNodes) if (field.selectionSet) collect(field.selectionSet, path, info.fragments, names);
  return names;
}

function collect(set: SelectionSetNode, path: readonly string[], fragments: Record<string, FragmentDefinitionNode>, names: Set<string>): void {
  const [name, ...rest] = path;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (name === undefined) names.add(selection.name.value);
      else if (selection.name.value === name && selection.selectionSet) collect(selection.selectionSet, rest, fragments, names);
    } else {
      const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments[selection.name.value]?.selectionSet;
      if (inner) collect(inner, path, fragments, names);
    }
  }
}
