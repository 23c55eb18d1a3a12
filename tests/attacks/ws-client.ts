import WebSocket from "ws";

/** A raw graphql-ws socket, to see what a misbehaving client sees: acks, close codes, error messages. */
export interface RawSocket {
  socket: WebSocket;
  /** Resolves with the close code once the server closes the socket. */
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Sends connection_init and resolves true on connection_ack, false when the socket closes instead. */
  init(payload?: Record<string, unknown>): Promise<boolean>;
  /** Starts an operation; resolves with its first answer (next or error message). */
  subscribe(id: string, query: string, variables?: Record<string, unknown>): Promise<{ type: string; payload: any }>;
}

export function rawSocket(serverUrl: string, options: { autoPong?: boolean; localAddress?: string } = {}): Promise<RawSocket> {
  const socket = new WebSocket(`${serverUrl.replace("http", "ws")}/graphql`, "graphql-transport-ws", options);
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  const waiters: (() => void)[] = [];
  socket.on("message", (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on("error", () => {});
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once("close", (code, reason) => {
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, reason: String(reason), at: performance.now() });
    }),
  );
  const waitFor = async <T>(find: () => T | undefined): Promise<T | undefined> => {
    for (;;) {
      const found = find();
      if (found !== undefined || socket.readyState >= WebSocket.CLOSING) return found;
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
  return new Promise((resolve, reject) => {
    socket.once("open", () =>
      resolve({
        socket,
        closed,
        async init(payload) {
          socket.send(JSON.stringify({ type: "connection_init", payload }));
          return (await waitFor(() => messages.find((m) => m.type === "connection_ack"))) !== undefined;
        },
        async subscribe(id, query, variables) {
          socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
          const answer = await waitFor(() => messages.find((m) => m.id === id && (m.type === "next" || m.type === "error")));
          return answer as { type: string; payload: any };
        },
      }),
    );
    socket.once("error", reject);
  });
}
