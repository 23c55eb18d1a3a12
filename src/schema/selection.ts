import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/**
 * Whether the operation asks for the field at `path` below the one being
 * resolved (`["edges", "node", "items"]`), through fragments and inline
 * fragments. `@skip`/`@include` are not evaluated: a field that may be asked
 * for counts, so a caller reads at most what the query could need. Like
 * graphql-js's field collection, each fragment is walked once per depth, so
 * a document that spreads fragments many times over costs no more than its length.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return fieldsAt(info, path.slice(0, -1)).has(path.at(-1)!);
}

/** The names of the fields the operation may ask for at `path` (its last step's selections, through fragments). */
export function fieldsAt(info: GraphQLResolveInfo, path: readonly string[]): Set<string> {
  const names = new Set<string>();
  const visited = new Set<string>();
  for (const field of info.fieldNodes) if (field.selectionSet) collect(field.selectionSet, path, info.fragments, names, visited);
  return names;
}

function collect(set: SelectionSetNode, path: readonly string[], fragments: Record<string, FragmentDefinitionNode>, names: Set<string>, visited: Set<string>): void {
  const [name, ...rest] = path;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (name === undefined) names.add(selection.name.value);
      else if (selection.name.value === name && selection.selectionSet) collect(selection.selectionSet, rest, fragments, names, visited);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(selection.selectionSet, path, fragments, names, visited);
    } else {
      // The same fragment at the same depth adds the same names again.
      const key = `${selection.name.value}/${path.length}`;
      const fragment = fragments[selection.name.value];
      if (visited.has(key) || !fragment) continue;
      visited.add(key);
      collect(fragment.selectionSet, path, fragments, names, visited);
    }
  }
}
