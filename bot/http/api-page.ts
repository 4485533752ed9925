/**
 * `GET /api`: the API document (bot/http/openapi.ts) as a page for people — the integrators of a
 * hospital's HIS or a CRM, and the operators who help them. Everything on it is read from the
 * document: endpoints, parameters, fields with their rules, status codes and examples, so the page
 * says what `/openapi.json` says. Chinese first: each description is `中文 / English`, shown as two
 * lines. Server-rendered, no script, nothing loaded from elsewhere; readable on a phone.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from './survey-page.js';
import type { OpenApiDocument } from './openapi.js';

/** The parts of a JSON Schema (OpenAPI 3.1) the page shows. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

interface MediaType {
  schema?: Schema;
  examples?: Record<string, { summary?: string; value?: unknown }>;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { description?: string; required?: boolean; content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
}

interface Document {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, { type?: string; scheme?: string; description?: string }> };
}

const STYLE = `*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}body{margin:0;font:16px/1.6 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f4f6f8;color:#1a1a1a}
main{max-width:52rem;margin:0 auto;padding:1rem}h1{font-size:1.35rem;margin:.2rem 0 .6rem;line-height:1.35}h2{font-size:1.15rem;margin:0 0 .5rem;line-height:1.4;overflow-wrap:anywhere}
h3{font-size:1rem;margin:1.1rem 0 .4rem}p{margin:.4rem 0}a{color:#0b57d0}
.card{background:#fff;border-radius:12px;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem;min-width:0}
.en{display:block;color:#555;font-size:.9em}p.en{margin-top:-.2rem}.lead{font-size:.95rem}
code{font:.88em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f4;border-radius:4px;padding:0 .25em;overflow-wrap:anywhere}
pre{font:.8rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#1f2430;color:#e8eaed;border-radius:8px;padding:.7rem;margin:.4rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
.m{display:inline-block;font:700 .8rem/1 ui-monospace,monospace;color:#fff;border-radius:5px;padding:.3rem .45rem;margin-right:.4rem;vertical-align:.1em}.m.get{background:#1e6b34}.m.post{background:#0b57d0}
ul.toc{padding-left:1.2rem;margin:.3rem 0}ul.toc li{margin:.25rem 0}
ul.fields,ul.codes{list-style:none;margin:0;padding:0}ul.fields li{border-top:1px solid #e3e7eb;padding:.5rem 0}
.fh{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem .5rem}.fh code{font-weight:600;background:none;padding:0;font-size:.95rem}
.t{color:#6b3fa0;font-size:.85rem;overflow-wrap:anywhere}.req{color:#b3261e;font-size:.8rem}.opt{color:#666;font-size:.8rem}
.fd{margin:.15rem 0 0}.fc{color:#444;font-size:.85rem;margin-top:.15rem;overflow-wrap:anywhere}
ul.codes li{display:flex;gap:.6rem;padding:.35rem 0;border-top:1px solid #e3e7eb}.sc{flex:none;font:700 .85rem/1.6 ui-monospace,monospace;min-width:2.4rem}.s2{color:#1e6b34}.s4{color:#b3261e}.s5{color:#8a5300}
details{margin:.3rem 0}summary{cursor:pointer;color:#0b57d0;padding:.2rem 0}`;

const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** The page's content security policy: its one inline stylesheet, nothing else — no script at all. */
export function apiPageContentSecurityPolicy(): string {
  return `default-src 'none'; style-src '${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

const CJK = /[\u3400-\u9fff]/;

/** Escapes, then turns `code` and **bold** into markup (the only formatting the document uses). */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/** `中文 / English` as the Chinese line and a quieter English line. */
function bilingual(text: string | undefined): string {
  if (!text) return '';
  const at = text.indexOf(' / ');
  if (at < 0) return inline(text);
  return `${inline(text.slice(0, at))}<span class="en" lang="en">${inline(text.slice(at + 3))}</span>`;
}

/** Paragraphs separated by blank lines; English ones (no Chinese characters) are shown quieter. */
function paragraphs(text: string | undefined): string {
  if (!text) return '';
  return text
    .split(/\n\n+/)
    .map((p) => (CJK.test(p) ? `<p>${inline(p)}</p>` : `<p class="en" lang="en">${inline(p)}</p>`))
    .join('');
}

function refName(ref: string): string {
  return ref.replace('#/components/schemas/', '');
}

function anchor(name: string): string {
  return `s-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** A short type label: `string`, `date-time`, `integer`, `FollowUpView[]`, `string | null`, `对象 object`. */
function typeLabel(schema: Schema): string {
  if (schema.$ref) return `<a href="#${anchor(refName(schema.$ref))}">${escapeHtml(refName(schema.$ref))}</a>`;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const nullable = types.includes('null');
  const base = types.find((t) => t !== 'null');
  let label: string;
  if (base === 'array' && schema.items) label = `${typeLabel(schema.items)}[]`;
  else if (base === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') {
    const values = schema.additionalProperties;
    label = Object.keys(values).length === 0 ? 'object' : `{ 名称 name: ${typeLabel(values)} }`;
  } else if (base === 'string' && schema.format) label = escapeHtml(schema.format);
  else label = escapeHtml(base ?? 'any');
  return nullable ? `${label} | null` : label;
}

/** `长度 length 1–64`, or one side alone (`至少 at least 1 字符 characters`). */
function bounds(min: number | undefined, max: number | undefined, [both, atLeast, atMost]: [string, string, string], unit: string): string[] {
  if (min !== undefined && max !== undefined) return [`${both} ${min}–${max}`];
  if (min !== undefined) return [`${atLeast} ${min}${unit}`];
  if (max !== undefined) return [`${atMost} ${max}${unit}`];
  return [];
}

/** The rules a value must follow, as one line. */
function constraints(schema: Schema): string {
  const rules: string[] = [];
  if (schema.enum) rules.push(`取值 values: ${schema.enum.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(' ')}`);
  if (schema.format === 'date-time') rules.push('ISO-8601 时刻 / instant');
  rules.push(...bounds(schema.minLength, schema.maxLength, ['长度 length', '至少 at least', '最多 at most'], ' 字符 characters'));
  rules.push(...bounds(schema.minimum, schema.maximum, ['范围 range', '最小 minimum', '最大 maximum'], ''));
  if (schema.maxItems !== undefined) rules.push(`最多 at most ${schema.maxItems} 项 items`);
  if (schema.pattern) rules.push(`格式 pattern <code>${escapeHtml(schema.pattern)}</code>`);
  if (schema.default !== undefined) rules.push(`缺省 default <code>${escapeHtml(JSON.stringify(schema.default))}</code>`);
  if (schema.type === 'object' && schema.additionalProperties === false && schema.properties) rules.push('不接受其他字段 / no other fields');
  return rules.length ? `<div class="fc">${rules.join(' · ')}</div>` : '';
}

/** Whether a field is sent to the service (required / optional) or answered by it (always / may be absent). */
type Direction = 'request' | 'response';

const PRESENCE: Record<Direction, [string, string]> = {
  request: ['<span class="req">必填 required</span>', '<span class="opt">可选 optional</span>'],
  response: ['<span class="opt">总是有 always</span>', '<span class="opt">可能没有 may be absent</span>'],
};

/** One field (or parameter): name, where it goes, type, required or not, description and rules. */
function fieldItem(path: string, schema: Schema, required: boolean, direction: Direction, description?: string, where?: string): string {
  const flag = PRESENCE[direction][required ? 0 : 1];
  return (
    `<li><div class="fh"><code>${escapeHtml(path)}</code>${where ? `<span class="opt">${where}</span>` : ''}<span class="t">${typeLabel(schema)}</span>${flag}</div>` +
    `<div class="fd">${bilingual(description ?? schema.description)}</div>${constraints(schema)}</li>`
  );
}

/** Every field of an object schema, nested objects flattened into dotted paths (`customer.name`). */
function fieldItems(schema: Schema, direction: Direction, prefix = ''): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, prop]) => {
    const path = `${prefix}${name}`;
    const own = fieldItem(path, prop, required.has(name), direction);
    if (prop.properties) return [own, ...fieldItems(prop, direction, `${path}.`)];
    if (prop.items?.properties) return [own, ...fieldItems(prop.items, direction, `${path}[].`)];
    return [own];
  });
}

function fieldList(schema: Schema, direction: Direction): string {
  const items = fieldItems(schema, direction);
  return items.length ? `<ul class="fields">${items.join('')}</ul>` : '';
}

function json(value: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;
}

function statusClass(code: string): string {
  return code.startsWith('2') ? 's2' : code.startsWith('5') ? 's5' : 's4';
}

function operationSection(doc: Document, method: string, path: string, op: Operation, baseUrl: string): string {
  const id = `op-${op.operationId ?? `${method}-${path}`.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const parts: string[] = [`<section class="card" id="${escapeHtml(id)}"><h2><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span><code>${escapeHtml(path)}</code></h2>`];
  parts.push(`<p><strong>${bilingual(op.summary)}</strong></p>`, paragraphs(op.description));
  if (op.security?.length) {
    const scheme = doc.components?.securitySchemes?.[Object.keys(op.security[0] ?? {})[0] ?? ''];
    parts.push(`<p class="lead">认证：<code>Authorization: Bearer &lt;key&gt;</code>${scheme?.description ? ` — ${bilingual(scheme.description)}` : ''}</p>`);
  }
  const curlPath = path.replace(/\{(\w+)\}/g, '<$1>');
  const body = op.requestBody?.content?.['application/json'];
  if (op.parameters?.length) {
    const where: Record<string, string> = { path: '路径 path', query: '查询 query', header: '请求头 header' };
    parts.push(
      `<h3>参数 Parameters</h3><ul class="fields">${op.parameters
        .map((p) => fieldItem(p.name, p.schema ?? {}, p.required ?? false, 'request', p.description, where[p.in] ?? escapeHtml(p.in)))
        .join('')}</ul>`,
    );
  }
  if (body?.schema) {
    const schema = body.schema.$ref ? doc.components?.schemas?.[refName(body.schema.$ref)] ?? body.schema : body.schema;
    parts.push(`<h3>请求体 Request body <span class="t">${typeLabel(body.schema)}</span></h3>`, `<p>${bilingual(schema.description ?? op.requestBody?.description)}</p>`, fieldList(schema, 'request'));
  }
  parts.push(`<h3>响应 Responses</h3><ul class="codes">`);
  for (const [code, response] of Object.entries(op.responses ?? {})) {
    const media = response.content?.['application/json'];
    const codes = Object.values(media?.examples ?? {})
      .map((e) => (e.value as { error?: { code?: string } } | undefined)?.error?.code)
      .filter((c): c is string => Boolean(c));
    parts.push(
      `<li><span class="sc ${statusClass(code)}">${escapeHtml(code)}</span><div>${bilingual(response.description)}` +
        `${media?.schema ? `<div class="fc">${typeLabel(media.schema)}${codes.length ? ` · 例 e.g. ${[...new Set(codes)].map((c) => `<code>${escapeHtml(c)}</code>`).join(' ')}` : ''}</div>` : ''}</div></li>`,
    );
  }
  parts.push('</ul>');
  const examples = Object.entries(body?.examples ?? {});
  if (examples.length) {
    const [firstName, first] = examples.find(([name]) => name === 'P4-discharge') ?? examples[0]!;
    parts.push(
      `<h3>示例 Example</h3><p>${escapeHtml(first.summary ?? firstName)}（<code>templates/policies/examples/${escapeHtml(firstName)}.json</code>）</p>`,
      `<pre>${escapeHtml(`curl -X ${method.toUpperCase()} '${baseUrl}${curlPath}' \\\n  -H 'Authorization: Bearer <key>' \\\n  -H 'Content-Type: application/json' \\\n  -d @${firstName}.json`)}</pre>`,
      json(first.value),
      `<details><summary>全部 ${examples.length} 个示例 / all ${examples.length} examples</summary>${examples
        .map(([name, e]) => `<details><summary>${escapeHtml(e.summary ?? name)}</summary>${json(e.value)}</details>`)
        .join('')}</details>`,
    );
  } else {
    parts.push(`<h3>示例 Example</h3><pre>${escapeHtml(`curl '${baseUrl}${curlPath}' \\\n  -H 'Authorization: Bearer <key>'`)}</pre>`);
  }
  const errors = Object.entries(op.responses ?? {}).flatMap(([code, r]) => Object.entries(r.content?.['application/json']?.examples ?? {}).map(([, e]) => ({ code, ...e })));
  if (errors.length) {
    parts.push(
      `<details><summary>错误示例 / error examples</summary>${errors.map((e) => `<p><span class="sc ${statusClass(e.code)}">${escapeHtml(e.code)}</span> ${escapeHtml(e.summary ?? '')}</p>${json(e.value)}`).join('')}</details>`,
    );
  }
  parts.push('</section>');
  return parts.join('');
}

/**
 * The page for `doc`. `baseUrl` (the service's public address) only fills the curl examples.
 */
export function renderApiPage(document: OpenApiDocument, options: { baseUrl: string }): string {
  const doc = document as unknown as Document;
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const requestSchemas = new Set(
    operations.flatMap(({ op }) => {
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      return ref ? [refName(ref)] : [];
    }),
  );
  const toc = operations
    .map(({ path, method, op }) => `<li><a href="#op-${escapeHtml(op.operationId ?? '')}"><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span><code>${escapeHtml(path)}</code></a> ${bilingual(op.summary?.split(' / ')[0])}</li>`)
    .join('');
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .filter(([name]) => !requestSchemas.has(name))
    .map(([name, schema]) => `<section class="card" id="${anchor(name)}"><h2><code>${escapeHtml(name)}</code></h2><p>${bilingual(schema.description)}</p>${fieldList(schema, 'response')}</section>`)
    .join('');
  const body =
    `<h1>${escapeHtml(doc.info.title)} 接口说明 <span class="en" lang="en">API reference</span></h1>` +
    `<div class="card"><p class="lead">机器可读的文档 / machine-readable document: <a href="/openapi.json">/openapi.json</a>（OpenAPI 3.1，版本 version ${escapeHtml(doc.info.version)}）</p>` +
    `<ul class="toc">${toc}</ul><p class="lead"><a href="#schemas">数据结构 Schemas</a></p></div>` +
    `<section class="card">${paragraphs(doc.info.description)}</section>` +
    operations.map(({ path, method, op }) => operationSection(doc, method, path, op, baseUrl)).join('') +
    `<h2 id="schemas">数据结构 <span class="en" lang="en">Schemas</span></h2>${schemas}`;
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="format-detection" content="telephone=no"><title>${escapeHtml(doc.info.title)} 接口说明</title><style>${STYLE}</style></head>` +
    `<body><main>${body}</main></body></html>`
  );
}
