/**
 * The web app's files, as `pqroom relay` serves them at `/` (issue 27): `app.ts` bundled by
 * esbuild with everything it imports (the machines, the protocol, noble), no CDN, no network at
 * run time. The relay puts `securityHeaders` on every answer (spec 13, REQ-WEB-003) and checks
 * the origin of every WebSocket upgrade (`originAllowed`, REQ-WEB-002).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Rng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';

/** The app's files by path. */
export interface WebApp {
  readonly files: ReadonlyMap<string, { readonly type: string; readonly body: string }>;
}

/**
 * The headers of every HTTP answer of the relay (REQ-WEB-003): a Content-Security-Policy whose
 * scripts are only those carrying this answer's `nonce` and what they load ('strict-dynamic'), no
 * inline script or style, WebAssembly allowed (Argon2id), connections to this origin only, no
 * framing; `nosniff`, no referrer, a browsing context of its own, nothing cached; and, over TLS,
 * Strict-Transport-Security.
 */
export function securityHeaders(nonce: string, tls = false): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
    ...(tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** A fresh nonce for one answer (16 bytes of `rng`, base64). */
export function answerNonce(rng: Rng): string {
  return btoa(String.fromCharCode(...rng.bytes(16)));
}

/**
 * Whether a WebSocket upgrade may proceed (REQ-WEB-002): without an `Origin` header (not a
 * browser: browsers always send one) or from the relay's own origin (the `Host` it was asked
 * under, over http or https) or one of `allowed`; any other origin is a cross-site page trying
 * to use a visitor's browser against the relay.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[] = []): boolean {
  if (origin === undefined) return true;
  if (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return allowed.includes(origin);
}

/** The page's icon (a browser asks for one; without it, a 404 in the console). */
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1a4d8f"/><path d="M4 7h8v6H4z M6 7V5a2 2 0 0 1 4 0v2" fill="none" stroke="#fff" stroke-width="1.5"/></svg>';

/** Bundles the app for a relay of `profile` (about a second). */
export async function buildWebApp(profile: Profile): Promise<WebApp> {
  const { build } = await import('esbuild');
  const out = await build({ entryPoints: [join(import.meta.dirname, 'app.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, minify: true, legalComments: 'none', logLevel: 'silent' });
  const js = out.outputFiles[0]!.text;
  const html = readFileSync(join(import.meta.dirname, 'index.html'), 'utf8').replace('{{PROFILE}}', profile);
  const css = readFileSync(join(import.meta.dirname, 'app.css'), 'utf8');
  return {
    files: new Map([
      ['/', { type: 'text/html; charset=utf-8', body: html }],
      ['/index.html', { type: 'text/html; charset=utf-8', body: html }],
      ['/app.js', { type: 'text/javascript; charset=utf-8', body: js }],
      ['/app.css', { type: 'text/css; charset=utf-8', body: css }],
      ['/favicon.svg', { type: 'image/svg+xml', body: ICON }],
    ]),
  };
}

/** Answers a GET of one of the app's files, the page carrying this answer's `nonce`; false when the path is not the app's. The security headers are the caller's (they go on every answer). */
export function serveWeb(app: WebApp, req: IncomingMessage, res: ServerResponse, nonce: string): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  const f = app.files.get(path);
  if (!f || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  res.writeHead(200, { 'content-type': f.type });
  res.end(req.method === 'HEAD' ? undefined : f.type.startsWith('text/html') ? f.body.replaceAll('{{NONCE}}', nonce) : f.body);
  return true;
}
