/**
 * Joins many small strings (CSV lines) into chunks of about `bytes` each, so
 * a streamed response makes one write, and one compressor call, per chunk
 * instead of per line: gzip at close to plain speed. Memory stays constant.
 */
export async function* inChunks(parts: Iterable<string> | AsyncIterable<string>, bytes = 64 * 1024): AsyncGenerator<string> {
  let chunk = "";
  for await (const part of parts) {
    chunk += part;
    if (chunk.length >= bytes) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}
