import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import { GraphQLError, getOperationAST, type ExecutionArgs } from "graphql";
import type { SubscribePayload } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { GraphQLParams, YogaServerInstance } from "graphql-yoga";
import { WebSocketServer, type WebSocket } from "ws";
import type { Authenticator, Principal } from "../auth/index.js";
import { watchSession } from "../auth/session-watch.js";
import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import type { GraphQLContext } from "../schema/builder.js";
import type { PersistedOperations } from "./apq.js";
import { withErrorCode } from "./limits.js";

/**
 * GraphQL over WebSocket (the `graphql-ws` protocol) on /graphql, beside
 * Yoga's Server-Sent Events: the same schema, the same envelope (persisted or
 * trusted documents, every operation limit, the introspection switch), the
 * same rules. A socket lives longer than a request, so it is held to more:
 * - it needs a signed-in caller: the token comes in the init payload,
 *   `{ "Authorization": "Bearer ..." }`; none, or a bad one, closes it 4401;
 * - a principal has at most WS_MAX_SOCKETS_PER_PRINCIPAL sockets (then 4429)
 *   and a socket at most WS_MAX_SUBSCRIPTIONS_PER_SOCKET operations running
 *   (then TOO_MANY_SUBSCRIPTIONS for the one past it);
 * - its token is checked again every WS_KEEPALIVE_MS (a deleted user's socket
 *   closes 4401) and the socket closes 4401 when the token expires;
 * - it is pinged every WS_KEEPALIVE_MS, and dropped when a ping goes unanswered.
 */
const MAX_MESSAGE_BYTES = 64 * 1024;
const UNAUTHORIZED = 4401;
const TOO_MANY_SOCKETS = 4429;

type Run = (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["execute"]>>;
interface Enveloped {
  execute: Run;
  subscribe: Run;
}

/** What a socket carries from its init on. */
interface SocketState {
  principal: Principal;
  authorization: string;
  running: Set<string>;
  stop: () => void;
}

interface Extra extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  request: IncomingMessage;
  state?: SocketState;
}

export interface WsDeps {
  yoga: YogaServerInstance<object, GraphQLContext>;
  authenticator: Authenticator;
  persisted: PersistedOperations | undefined;
  config: Pick<Config, "WS_MAX_SOCKETS_PER_PRINCIPAL" | "WS_MAX_SUBSCRIPTIONS_PER_SOCKET" | "WS_KEEPALIVE_MS">;
  logger: Logger;
}

export function attachGraphqlWs(server: Server, { yoga, authenticator, persisted, config, logger }: WsDeps) {
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: MAX_MESSAGE_BYTES });
  const log = logger.child({ component: "graphql-ws" });
  const socketsOf = new Map<string, number>();
  const principalKey = (p: Principal) => (p.kind === "anonymous" ? "anonymous" : `${p.kind}:${p.sub}`);

  /** Keeps a signed-in socket honest until it closes: pings, token re-checks, the expiry. */
  function watch(socket: WebSocket, state: Omit<SocketState, "stop">, validUntil: number): () => void {
    let alive = true;
    socket.on("pong", () => (alive = true));
    const refuse = (reason: string) => socket.readyState === socket.OPEN && socket.close(UNAUTHORIZED, reason);
    const stopWatching = watchSession(authenticator, state.authorization, validUntil, config.WS_KEEPALIVE_MS, refuse);
    const keepalive = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, config.WS_KEEPALIVE_MS);
    keepalive.unref();
    return () => {
      stopWatching();
      clearInterval(keepalive);
    };
  }

  /** An operation's execution arguments, or why it is refused: the envelope an HTTP request gets (persisted documents, limits, rules). */
  async function prepare(state: SocketState, address: string | undefined, payload: SubscribePayload): Promise<readonly GraphQLError[] | ExecutionArgs> {
    let params: GraphQLParams = {
      query: payload.query,
      operationName: payload.operationName ?? undefined,
      variables: payload.variables ?? undefined,
      extensions: payload.extensions ?? undefined,
    };
    let register: (() => void) | undefined;
    if (persisted) {
      try {
        ({ params, register } = await persisted.resolve(params, address));
      } catch (error) {
        return [error as GraphQLError];
      }
    }
    if (typeof params.query !== "string") return [refusal("Must provide query string.", "VALIDATION_FAILED")];
    const requestId = randomUUID();
    const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ principal: state.principal, requestId, params });
    let document;
    try {
      document = parse(params.query);
    } catch (error) {
      return [withErrorCode(error as GraphQLError)];
    }
    const errors = validate(schema, document).map(withErrorCode);
    const operation = getOperationAST(document, params.operationName)?.name?.value ?? "anonymous";
    log.info({ requestId, principal: principalKey(state.principal), operation: `graphql:${operation}`, refused: errors.length > 0 }, "graphql-ws operation");
    if (errors.length > 0) return errors;
    register?.();
    return {
      schema,
      operationName: params.operationName,
      document,
      variableValues: params.variables,
      contextValue: await contextFactory(),
      rootValue: { execute, subscribe },
    };
  }

  useServer<Record<string, unknown>, Extra>(
    {
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const authorization = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        let session: Awaited<ReturnType<Authenticator["session"]>>;
        try {
          session = await authenticator.session(typeof authorization === "string" ? authorization : undefined);
        } catch {
          socket.close(UNAUTHORIZED, "Unauthorized: invalid token");
          return false;
        }
        if (session.principal.kind === "anonymous") {
          socket.close(UNAUTHORIZED, "Unauthorized: send a token in the init payload's Authorization");
          return false;
        }
        const key = principalKey(session.principal);
        const open = socketsOf.get(key) ?? 0;
        if (open >= config.WS_MAX_SOCKETS_PER_PRINCIPAL) {
          socket.close(TOO_MANY_SOCKETS, `Too many sockets: at most ${config.WS_MAX_SOCKETS_PER_PRINCIPAL} per caller`);
          return false;
        }
        socketsOf.set(key, open + 1);
        const state = { principal: session.principal, authorization: authorization as string, running: new Set<string>() };
        ctx.extra.state = { ...state, stop: watch(socket, state, session.validUntil) };
        socket.once("close", () => {
          ctx.extra.state?.stop();
          const left = (socketsOf.get(key) ?? 1) - 1;
          if (left > 0) socketsOf.set(key, left);
          else socketsOf.delete(key);
        });
        return true;
      },
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (ctx, id, payload) => {
        const state = ctx.extra.state!;
        if (state.running.size >= config.WS_MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [refusal(`Too many operations on this socket: at most ${config.WS_MAX_SUBSCRIPTIONS_PER_SOCKET} at once`, "TOO_MANY_SUBSCRIPTIONS")];
        }
        // Taken before anything is awaited: operations sent together all count against the cap; given back if refused.
        state.running.add(id);
        try {
          const prepared = await prepare(state, ctx.extra.request.socket.remoteAddress, payload);
          if (Array.isArray(prepared)) state.running.delete(id);
          return prepared;
        } catch (error) {
          state.running.delete(id);
          throw error;
        }
      },
      onComplete: (ctx, id) => void ctx.extra.state?.running.delete(id),
      onError: (ctx, id, _payload, errors) => {
        ctx.extra.state?.running.delete(id);
        log.debug({ errors: errors.map((e) => e.message) }, "graphql-ws operation refused");
      },
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

const refusal = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });
