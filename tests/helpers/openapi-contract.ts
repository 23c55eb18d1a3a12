import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { ValidateFunction } from "ajv";
import type { Config } from "../../src/config.js";
import { documentedRoutes } from "../../src/rest/index.js";
import { openApiDocument } from "../../src/rest/openapi/document.js";

type Doc = ReturnType<typeof openApiDocument>;
type Obj = Record<string, any>;

export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  /** The body as text; undefined when it was not read (CSV downloads, event streams). */
  body?: string;
}

/**
 * Checks HTTP answers against the REST shim's OpenAPI document, as a client
 * generated from it would see them: the operation (method and path template),
 * a documented status (2xx never through `default`), required headers and
 * their patterns, the media type, and the JSON body against its schema.
 */
export class OpenApiContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { method: string; pattern: RegExp; literals: number; pointer: string; operation: Obj }[] = [];

  constructor(readonly doc: Doc) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, "openapi");
    for (const [path, item] of Object.entries(doc.paths)) {
      const segments = path.split("/");
      const pattern = new RegExp(`^${segments.map((s) => (s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))).join("/")}$`);
      for (const [method, operation] of Object.entries(item as Obj)) {
        this.templates.push({ method, pattern, literals: segments.filter((s) => !s.startsWith("{")).length, pointer: `/paths/${escape(path)}/${method}`, operation });
      }
    }
  }

  static for(config: Config): OpenApiContract {
    return new OpenApiContract(openApiDocument(documentedRoutes(config)));
  }

  /** The operation an exchange belongs to, or undefined for a route the document does not have (which must then be an error). */
  operationOf(method: string, pathname: string) {
    // Express routes without strict routing: `/api/products/` is `/api/products`.
    if (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.slice(0, -1);
    const candidates = this.templates.filter((t) => t.method === method.toLowerCase() && t.pattern.test(pathname));
    return candidates.sort((a, b) => b.literals - a.literals)[0];
  }

  /** Every way the exchange departs from the document (empty when it conforms). */
  check(exchange: Exchange): string[] {
    const { pathname } = new URL(exchange.url);
    const found = this.operationOf(exchange.method, pathname);
    const where = `${exchange.method} ${pathname} → ${exchange.status}`;
    if (!found) {
      if (exchange.status < 400) return [`${where}: not in the OpenAPI document`];
      return this.checkResponse(where, "/components/responses/Error", this.doc.components.responses.Error!, exchange);
    }
    const responses = found.operation.responses as Obj;
    const status = String(exchange.status);
    const key = status in responses ? status : exchange.status >= 400 ? "default" : undefined;
    if (!key) return [`${where}: status not documented for ${found.operation.operationId} (has ${Object.keys(responses).join(", ")})`];
    const [pointer, response] = this.resolve(`${found.pointer}/responses/${key}`, responses[key]);
    return this.checkResponse(`${where} (${found.operation.operationId})`, pointer, response, exchange);
  }

  private checkResponse(where: string, pointer: string, response: Obj, exchange: Exchange): string[] {
    const problems: string[] = [];
    for (const [name, headerRef] of Object.entries((response.headers ?? {}) as Obj)) {
      const [, header] = this.resolve("", headerRef);
      const value = exchange.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: required header ${name} missing`);
        continue;
      }
      const validate = this.validator(`${pointer}#header:${name}`, header.schema);
      if (!validate(value)) problems.push(`${where}: header ${name}: ${value} ${this.ajv.errorsText(validate.errors)}`);
    }
    const contentType = (exchange.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const content = (response.content ?? {}) as Obj;
    if (!(contentType in content)) {
      if (Object.keys(content).length > 0 || exchange.body) problems.push(`${where}: content type ${contentType || "(none)"}, documented ${Object.keys(content).join(", ") || "no body"}`);
      return problems;
    }
    if (contentType !== "application/json" || exchange.body === undefined) return problems;
    let body: unknown;
    try {
      body = JSON.parse(exchange.body);
    } catch {
      return [...problems, `${where}: body is not JSON`];
    }
    const validate = this.validator(`${pointer}/content/application~1json/schema`, content["application/json"].schema);
    if (!validate(body)) problems.push(`${where}: ${this.ajv.errorsText(validate.errors, { dataVar: "body" })}`);
    return problems;
  }

  /** A `$ref` within the document, followed (with the pointer it names), or the object itself. */
  private resolve(pointer: string, object: Obj): [string, Obj] {
    if (typeof object.$ref !== "string") return [pointer, object];
    const target = (object.$ref as string).slice(1);
    const value = target.split("/").slice(1).reduce((node: Obj, part) => node[part.replace(/~1/g, "/").replace(/~0/g, "~")], this.doc as Obj);
    return this.resolve(target, value);
  }

  /** A compiled schema: `$ref`s inside it resolve against the whole document. */
  private validator(id: string, schema: Obj): ValidateFunction {
    let validate = this.validators.get(id);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema));
      this.validators.set(id, validate);
    }
    return validate;
  }
}

const escape = (path: string) => path.replace(/~/g, "~0").replace(/\//g, "~1");

/** `#/components/...` inside a detached part means the document's: point it there. */
function rewriteRefs(node: any): any {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `openapi${v}` : rewriteRefs(v)]));
}
