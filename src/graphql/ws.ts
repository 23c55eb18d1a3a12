import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Authenticator } from "../auth/index.js";
import type { Logger } from "../lib/logger.js";
import type { GraphQLContext } from "../schema/builder.js";

/**
 * GraphQL over WebSocket (the `graphql-ws` protocol) on /graphql, beside
 * Yoga's Server-Sent Events: the same schema, plugins and limits (Yoga's
 * envelope), the same rules. The token comes in the connection's init
 * payload, `{ "Authorization": "Bearer ..." }`; a bad one closes the
 * connection with 4403, as graphql-ws does for a refused init.
 */
const MAX_MESSAGE_BYTES = 64 * 1024;

type Run = (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["execute"]>>;
interface Enveloped {
  execute: Run;
  subscribe: Run;
}

export function attachGraphqlWs(server: Server, yoga: YogaServerInstance<object, GraphQLContext>, authenticator: Authenticator, logger: Logger) {
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: MAX_MESSAGE_BYTES });
  const log = logger.child({ component: "graphql-ws" });
  useServer<Record<string, unknown>, { principal?: GraphQLContext["principal"] }>(
    {
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        try {
          ctx.extra.principal = await authenticator.principalOf(typeof authorization === "string" ? authorization : undefined);
          return true;
        } catch {
          return false;
        }
      },
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          principal: ctx.extra.principal,
          requestId: randomUUID(),
          params: payload,
        });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
      onError: (_ctx, _id, _payload, errors) => log.debug({ errors: errors.map((e) => e.message) }, "graphql-ws operation refused"),
    },
    wss,
  );
  return {
    /** Closes every socket (clients see 1001, going away) and stops accepting. */
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.close(1001, "server shutting down");
        wss.close(() => resolve());
      }),
  };
}
