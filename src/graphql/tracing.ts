import { getOperationAST, type DocumentNode, type ExecutionArgs, type GraphQLResolveInfo } from "graphql";
import type { Plugin } from "graphql-yoga";
import { useOnResolve } from "@envelop/on-resolve";
import { nameServerSpan } from "../edge/server-span.js";
import { requestContext } from "../lib/request-context.js";
import { failSpan, inContextOf, startSpan, tracingEnabled, type Span } from "../lib/tracing.js";

const MAX_NAME = 64;

/**
 * GraphQL's phases as spans under the request's SERVER span: parse, validate,
 * and execute (named `query products`, which also names the request's span),
 * and each resolver only when GRAPHQL_TRACE_RESOLVERS asks (a page of orders
 * resolves thousands of fields). Nothing runs while tracing is off.
 */
export function useTracing(options: { resolvers: boolean; namedOperations: ReadonlySet<string> }): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      if (options.resolvers) addPlugin(useOnResolve(({ info }) => resolverSpan(info)));
    },
    onParse() {
      const span = startSpan("graphql.parse", {});
      return span && (({ result }) => endPhase(span, result instanceof Error ? result : undefined));
    },
    onValidate() {
      const span = startSpan("graphql.validate", {});
      return span && (({ result }) => endPhase(span, result[0]));
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!tracingEnabled()) return undefined;
      const { name, type } = operationOf(args);
      // Operation names are the client's: only the configured ones (GRAPHQL_METRIC_OPERATIONS) name spans, so names stay a bounded set.
      const spanName = name && options.namedOperations.has(name) ? `${type} ${name}` : type;
      const request = requestContext()?.span;
      if (request) nameServerSpan(request, spanName);
      const span = startSpan(spanName, { attributes: { "graphql.operation.type": type, ...(name && { "graphql.operation.name": name }) } });
      if (!span) return undefined;
      // The resolvers' work (SQL, loaders) runs in the execute span.
      setExecuteFn((execution) => inContextOf(span, () => executeFn(execution)));
      return {
        onExecuteDone({ result }) {
          const errors = "errors" in result ? result.errors : undefined;
          if (errors?.length) span.setAttribute("graphql.errors.count", errors.length);
          endPhase(span, errors?.[0]);
        },
      };
    },
  };
}

function operationOf(args: ExecutionArgs): { name: string | undefined; type: string } {
  const operation = getOperationAST(args.document as DocumentNode, args.operationName);
  return { name: operation?.name?.value.slice(0, MAX_NAME), type: operation?.operation ?? "operation" };
}

function endPhase(span: Span, error: Error | undefined): void {
  if (error) failSpan(span, error);
  span.end();
}

function resolverSpan(info: GraphQLResolveInfo) {
  const span = startSpan(`resolve ${info.parentType.name}.${info.fieldName}`, {
    attributes: { "graphql.field.name": info.fieldName, "graphql.field.path": pathOf(info.path) },
  });
  return span && (({ result }: { result: unknown }) => endPhase(span, result instanceof Error ? result : undefined));
}

function pathOf(path: GraphQLResolveInfo["path"]): string {
  const parts: (string | number)[] = [];
  for (let at: GraphQLResolveInfo["path"] | undefined = path; at; at = at.prev) parts.unshift(at.key);
  return parts.join(".");
}
