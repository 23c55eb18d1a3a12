/**
 * Portable SQL (`?` placeholders) for pg: `$n` placeholders, and a name per
 * statement text so each connection prepares it once. Used by the driver reads
 * and the driver transactions alike.
 */
const statements = new Map<string, { name: string; text: string }>();

export function postgresStatement(text: string): { name: string; text: string } {
  let statement = statements.get(text);
  if (!statement) {
    let n = 0;
    statement = { name: `shop_${statements.size + 1}`, text: text.replace(/\?/g, () => `$${++n}`) };
    statements.set(text, statement);
  }
  return statement;
}
