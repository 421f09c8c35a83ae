import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Checks an answer of the API against the OpenAPI document (docs/openapi.json): the operation
 * the method and path resolve to as a client generator or Prism resolves them, that the status
 * is one it documents, that the body has the documented media type and matches the documented
 * schema, and the headers that matter (Retry-After, Location, x-next-cursor: present where the
 * document requires them, valid where present, and not sent where the document has none).
 * test/support/local.ts runs it on every answer local mode's gateway sends in the e2e tests.
 */

export const DOCUMENT_PATH = join(import.meta.dirname, '..', '..', 'docs', 'openapi.json');

export interface ObservedExchange {
  method: string;
  path: string;
  status: number;
  /** Names in any case. */
  headers: Record<string, string | number | boolean | undefined>;
  body: string | undefined | null;
}

/** Headers a client acts on: each must be documented for the answer it comes with. */
const HEADERS_THAT_MATTER = ['retry-after', 'location', 'x-next-cursor'];

/** Gateway answers with no operation: a path or method no route serves (404, 405), or refused before routing. */
const UNROUTED_STATUSES = new Set([401, 403, 404, 405, 413, 429, 500, 503, 504]);

type Json = Record<string, any>;

interface Operation {
  pattern: RegExp;
  /** Literal characters of the template: a concrete path wins over a templated one that also matches. */
  literal: number;
  template: string;
  methods: Record<string, Json>;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const BASE = 'https://openapi.local/openapi.json';

export interface Conformance {
  /** The violations of one answer; none when it is as documented. */
  check(exchange: ObservedExchange): string[];
}

export function loadConformance(doc: Json = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8'))): Conformance {
  // OpenAPI 3.1's dialect is JSON Schema 2020-12; `example`s and the document's own keys are not keywords.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc, BASE);
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let v = compiled.get(pointer);
    if (!v) {
      v = ajv.getSchema(`${BASE}#${pointer}`);
      if (!v) throw new Error(`no schema at ${pointer} of the document`);
      compiled.set(pointer, v);
    }
    return v;
  };
  const headerValidators = new Map<string, ValidateFunction>();
  const headerValidator = (schema: Json) => {
    const key = JSON.stringify(schema);
    let v = headerValidators.get(key);
    if (!v) {
      v = ajv.compile(schema);
      headerValidators.set(key, v);
    }
    return v;
  };
  const operations: Operation[] = Object.entries(doc.paths as Json).map(([template, methods]) => ({
    template,
    literal: template.replace(/\{[^}]+\}/g, '').length,
    pattern: new RegExp(
      `^${template
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    ),
    methods: methods as Record<string, Json>,
  }));
  const errorSchema = '/components/schemas/Error';

  return {
    check(x) {
      const problems: string[] = [];
      const headers = Object.fromEntries(
        Object.entries(x.headers)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      const where = `${x.method} ${x.path} answered ${x.status}`;
      const candidates = operations.filter((o) => o.pattern.test(x.path)).sort((a, b) => b.literal - a.literal);
      const path = candidates[0];
      const operation = path?.methods[x.method.toLowerCase()];
      if (!path || !operation) {
        // Nothing documents this method and path: only a refusal, in the errors' shape, fits.
        if (!UNROUTED_STATUSES.has(x.status)) problems.push(`${where}, but the document has no operation for it`);
        checkJsonBody(x, headers, errorSchema, validatorAt, where, problems);
        return problems;
      }
      const responses = operation.responses as Json;
      const key = [String(x.status), `${String(x.status)[0]}XX`, 'default'].find((k) => k in responses);
      const opName = `${operation.operationId} (${x.method} ${path.template})`;
      if (!key) {
        problems.push(`${where}: ${opName} documents ${Object.keys(responses).join(', ')}, not ${x.status}`);
        checkJsonBody(x, headers, errorSchema, validatorAt, where, problems);
        return problems;
      }
      let pointer = `/paths/${pointerSegment(path.template)}/${x.method.toLowerCase()}/responses/${pointerSegment(key)}`;
      let response = responses[key] as Json;
      if (typeof response.$ref === 'string') {
        pointer = (response.$ref as string).slice(1);
        response = resolve(doc, pointer);
      }
      const documented = (response.headers ?? {}) as Record<string, Json>;
      for (const [name, header] of Object.entries(documented)) {
        const value = headers[name.toLowerCase()];
        if (value === undefined) {
          if (header.required) problems.push(`${where}: header ${name} is required (${opName}) but missing`);
          continue;
        }
        const schema = header.schema as Json | undefined;
        if (schema) {
          const v = headerValidator(schema);
          const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
          if (!v(typed)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(v.errors)}`);
        }
      }
      const documentedNames = new Set(Object.keys(documented).map((n) => n.toLowerCase()));
      for (const name of HEADERS_THAT_MATTER) {
        if (headers[name] !== undefined && !documentedNames.has(name))
          problems.push(`${where}: sends ${name}, which ${opName} does not document for ${key}`);
      }
      const content = response.content as Json | undefined;
      if (!content) {
        if (x.body) problems.push(`${where}: ${opName} documents no body for ${key}, got ${x.body.length} bytes`);
        return problems;
      }
      const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!(type in content)) {
        problems.push(`${where}: Content-Type ${type || '(none)'}, ${opName} documents ${Object.keys(content).join(', ')} for ${key}`);
        return problems;
      }
      if (!content[type].schema) return problems;
      checkJsonBody(x, headers, `${pointer}/content/${pointerSegment(type)}/schema`, validatorAt, where, problems);
      return problems;
    },
  };
}

function checkJsonBody(
  x: ObservedExchange,
  headers: Record<string, string>,
  pointer: string,
  validatorAt: (pointer: string) => ValidateFunction,
  where: string,
  problems: string[],
): void {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    problems.push(`${where}: Content-Type ${type || '(none)'}, not application/json`);
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(x.body ?? '');
  } catch {
    problems.push(`${where}: the body is not JSON: ${String(x.body).slice(0, 200)}`);
    return;
  }
  const validate = validatorAt(pointer);
  if (!validate(body)) {
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    problems.push(`${where}: the body does not match ${pointer}: ${errors.join('; ')}; body ${JSON.stringify(body).slice(0, 300)}`);
  }
}

const pointerSegment = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

function resolve(doc: Json, pointer: string): Json {
  return pointer
    .split('/')
    .slice(1)
    .reduce((node: Json, part) => node[part.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
}
