import { PassThrough } from "node:stream";
import busboy from "busboy";
import type { Request } from "express";
import { DomainError } from "../errors.js";
import type { IncomingCsv } from "../services/bulk-import/index.js";

/**
 * The CSV of an upload request, as a stream: a multipart form's `file` field,
 * or a raw `text/csv` body. Nothing is buffered; the service streams it to disk.
 */
export function incomingCsv(req: Request): Promise<IncomingCsv> {
  if (req.is("multipart/form-data")) return multipartFile(req);
  if (req.is(["text/csv", "application/csv", "text/plain"])) {
    return Promise.resolve({ stream: req, mimeType: req.get("content-type"), fileName: null });
  }
  req.resume();
  return Promise.reject(
    new DomainError("UNSUPPORTED_MEDIA_TYPE", "Send the CSV as multipart/form-data (field \"file\") or as a text/csv body"),
  );
}

const malformed = (error: Error) => new DomainError("VALIDATION_FAILED", `Malformed multipart body: ${error.message}`);

function multipartFile(req: Request): Promise<IncomingCsv> {
  return new Promise((resolve, reject) => {
    let found = false;
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: req.headers, limits: { files: 1, fields: 20, parts: 25 } });
    } catch (error) {
      req.resume();
      return reject(malformed(error as Error)); // e.g. no boundary in the Content-Type
    }
    form.on("file", (field, stream, info) => {
      if (field !== "file" || found) {
        stream.resume();
        return;
      }
      found = true;
      // A form that ends early fails the file stream, maybe before anyone reads it: the
      // failure is kept on `file` (a 400 for whoever pipes it), never an unhandled error.
      const file = new PassThrough();
      file.on("error", () => {});
      stream.on("error", (error: Error) => file.destroy(malformed(error)));
      stream.pipe(file);
      resolve({ stream: file, mimeType: info.mimeType, fileName: info.filename ?? null });
    });
    form.on("error", (error) => reject(malformed(error as Error)));
    form.on("close", () => {
      if (!found) reject(new DomainError("VALIDATION_FAILED", "The multipart body has no \"file\" field", { field: "file" }));
    });
    req.pipe(form);
  });
}
