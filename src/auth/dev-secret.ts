import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { privateDir } from "../lib/private-files.js";
import { dirname } from "node:path";

/**
 * The HS256 secret of a development server started with no auth settings:
 * made on first start and kept (mode 0600), so tokens from `npm run token`
 * stay valid across restarts. Production never comes here (config refuses).
 */
export function developmentSecret(file: string): string {
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch {
    // Not made yet.
  }
  privateDir(dirname(file));
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
