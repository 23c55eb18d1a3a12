import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The server's own files (the SQLite database and its journal files, the
 * development signing secret, uploads waiting for their job) are readable by
 * the server's user alone: folders it creates are 0700, files 0600. SQLite
 * gives its -wal and -shm files the database file's mode.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates `file` (and its folder) private when it does not exist yet; an existing file keeps the mode it has. */
export function privateFile(file: string): void {
  privateDir(dirname(file));
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
}
