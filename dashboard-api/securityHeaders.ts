// Security headers on every response of dashboard-api (OWASP Secure Headers Project). The
// operations page (web/plugin.ts) sets its own, stricter, Content-Security-Policy and caching;
// a header a route already set is kept.
import type { FastifyInstance } from 'fastify'

const ALWAYS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  // Nothing of dashboard-api is meant to be framed (clickjacking); CSP frame-ancestors below
  // says the same to current browsers.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin'
}

/** Responses that are data, never a document to render: no caching, no active content. */
const DATA: Readonly<Record<string, string>> = {
  // Operations numbers and account data must not sit in shared or browser caches.
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'"
}

const isData = (url: string): boolean =>
  url.startsWith('/api/') ||
  url === '/healthz' ||
  url === '/readyz' ||
  url.startsWith('/docs/json') ||
  url.startsWith('/docs/yaml')

export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0] ?? ''
    for (const [k, v] of Object.entries(ALWAYS)) if (!reply.hasHeader(k)) reply.header(k, v)
    if (isData(path)) for (const [k, v] of Object.entries(DATA)) if (!reply.hasHeader(k)) reply.header(k, v)
    return payload
  })
}
