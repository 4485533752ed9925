import { join } from 'node:path';
import type Router from '@koa/router';
import { ROOT_DIR, type Huifang } from '../../huifang.js';
import type { OpenApiDocument } from '../openapi.js';
import { loadCaseExamples } from '../case-examples.js';
import { apiPageContentSecurityPolicy, renderApiPage } from '../api-page.js';

/** The example cases shown with `POST /api/v1/cases`: one or more per policy pack. */
const EXAMPLES_DIR = join(ROOT_DIR, 'templates/policies/examples');

/**
 * `GET /openapi.json` (the `/api/v1` API as OpenAPI 3.1) and `GET /api` (the same document as a
 * page). Both are public: they describe the API and the case types this service accepts, nothing
 * about its data. Built once, on the first request, from the loaded policy packs.
 */
export function apiDocsRoutes(router: Router, app: Huifang): void {
  let document: OpenApiDocument | undefined;
  let page: string | undefined;
  // The generator is loaded with the first request for the document, not at start-up (README, "Memory").
  const openApiDocument = async () => {
    if (document) return document;
    const { buildOpenApiDocument } = await import('../openapi.js');
    return (document ??= buildOpenApiDocument({
      examples: loadCaseExamples(EXAMPLES_DIR),
      caseTypes: app.deps.policies.all().flatMap((p) => p.caseTypes.map((type) => ({ type, policyId: p.id, policyName: p.name }))),
    }));
  };

  router.get('/openapi.json', async (ctx) => {
    const body = await openApiDocument();
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = body;
  });

  router.get('/api', async (ctx) => {
    page ??= renderApiPage(await openApiDocument(), { baseUrl: app.config.publicBaseUrl });
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Content-Security-Policy', apiPageContentSecurityPolicy());
    ctx.body = page;
  });
}
