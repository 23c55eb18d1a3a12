// The database's public face: services import from here, never from the generated clients.
export {
  closeDatabase,
  databaseProvider,
  db,
  openDatabase,
  pingDatabase,
  poolState,
  postgresPool,
  sqliteFilePath,
  withSqliteConnection,
  Prisma,
  type DatabaseProvider,
  type Db,
  type Tx,
} from "./client.js";
export { onQuery, type QueryEvent } from "./query-events.js";
export { readRows } from "./reads.js";
export { isInTransaction, transaction } from "./transaction.js";
