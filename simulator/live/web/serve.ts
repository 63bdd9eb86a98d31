/**
 * The web app's files, as `pqroom relay` serves them at `/` (issue 27): `app.ts` bundled by
 * esbuild with everything it imports (the machines, the protocol, noble), no CDN, no network at
 * run time. Every answer carries a strict Content-Security-Policy (scripts, styles and
 * connections from this origin only, no inline script, no framing; WebAssembly may be compiled,
 * for Argon2id), `nosniff`, no referrer, and
 * `no-store`.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Profile } from '../../../impl/suite.ts';

/** The app's files by path. */
export interface WebApp {
  readonly files: ReadonlyMap<string, { readonly type: string; readonly body: string }>;
}

/** What every answer of the app says about itself (the page's security headers). */
export const WEB_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

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

/** Answers a GET of one of the app's files; false when the path is not the app's. */
export function serveWeb(app: WebApp, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  const f = app.files.get(path);
  if (!f || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  res.writeHead(200, { 'content-type': f.type, ...WEB_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : f.body);
  return true;
}
