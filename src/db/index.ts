// The database's public face: services import from here, never from the generated clients.
export {
  closeDatabase,
  databaseProvider,
  db,
  engine,
  openDatabase,
  OrmInTransactionError,
  pingDatabase,
  poolState,
  sqliteFilePath,
  Prisma,
  type DatabaseProvider,
  type Db,
} from "./client.js";
export { isInTransaction, type BatchWriter, type Engine, type Sql } from "./driver.js";
export { onQuery, type QueryEvent } from "./query-events.js";
export { changeVersion, readRows } from "./reads.js";
export { sqlTransaction } from "./sql.js";
