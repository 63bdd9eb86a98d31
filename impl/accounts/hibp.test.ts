/**
 * REQ-KEY-041 the breached-password check. The real API cannot be reached here: msw stands in
 * for it at the fetch level, so the client's real request (URL, headers, body) is what is seen.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPassword, hibpHash, parseOfflineList, parseRange, registrationDecision } from './hibp.ts';

const ENDPOINT = 'https://hibp.test/range/';
const seen: { url: string; body: string; padding: string | null }[] = [];
// 'password' has SHA-1 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
const PASSWORD_SUFFIX = '1E4C9B93F3F0682250B6CF8331B7EE68FD8';
let mode: 'ok' | 'error' | 'garbage' = 'ok';

const server = setupServer(
  http.get(`${ENDPOINT}:prefix`, async ({ request, params }) => {
    seen.push({ url: request.url, body: await request.text(), padding: request.headers.get('add-padding') });
    if (mode === 'error') return new HttpResponse('busy', { status: 503 });
    if (mode === 'garbage') return HttpResponse.text('<html>not a range</html>');
    const lines = params.prefix === '5BAA6' ? [`${PASSWORD_SUFFIX}:9545824`, '0000000000000000000000000000000000A:0'] : ['0000000000000000000000000000000000B:0'];
    return HttpResponse.text(['003D68EB55068C33ACE09247EE4C639306B:3', ...lines].join('\r\n'));
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  seen.length = 0;
  mode = 'ok';
});
afterAll(() => server.close());

describe('REQ-KEY-041 Have I Been Pwned, k-anonymity', () => {
  it('finds a breached password, sending only the first 5 hex characters of its SHA-1, with padding asked for', async () => {
    expect(hibpHash('password')).toEqual({ prefix: '5BAA6', suffix: PASSWORD_SUFFIX });
    expect(await checkPassword('password', { endpoint: ENDPOINT })).toEqual({ kind: 'pwned', count: 9545824 });
    expect(seen).toEqual([{ url: `${ENDPOINT}5BAA6`, body: '', padding: 'true' }]);
  });
  it('says clean for a password whose suffix is absent, and never sends more than the prefix', async () => {
    const pw = 'correct horse battery staple 2026';
    expect(await checkPassword(pw, { endpoint: ENDPOINT })).toEqual({ kind: 'clean' });
    expect(seen[0]!.url).toBe(`${ENDPOINT}${hibpHash(pw).prefix}`);
    expect(seen[0]!.url).not.toContain(hibpHash(pw).suffix);
  });
  it('ignores padding entries (count 0) and refuses a malformed line', () => {
    expect([...parseRange('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:0\nBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB:2\n').keys()]).toEqual(['BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB']);
    expect(() => parseRange('nonsense')).toThrow(/malformed/);
  });
  it('reports an unreachable or broken service, and the policy decides', async () => {
    mode = 'error';
    const r = await checkPassword('password', { endpoint: ENDPOINT });
    expect(r).toEqual({ kind: 'unavailable', error: 'HTTP 503' });
    expect(registrationDecision(r, 'refuse-when-unavailable').proceed).toBe(false);
    expect(registrationDecision(r, 'allow-when-unavailable').proceed).toBe(true);
    mode = 'garbage';
    expect((await checkPassword('password', { endpoint: ENDPOINT })).kind).toBe('unavailable');
    const down = await checkPassword('password', { endpoint: ENDPOINT, fetch: () => Promise.reject(new TypeError('fetch failed')) });
    expect(down).toEqual({ kind: 'unavailable', error: 'fetch failed' });
  });
  it('a breached password stops registration', async () => {
    expect(registrationDecision(await checkPassword('password', { endpoint: ENDPOINT }), 'allow-when-unavailable')).toEqual({ proceed: false, reason: 'this password appears in 9545824 known breaches; choose another' });
  });
  it('offline mode reads a local hash list and makes no request', async () => {
    const list = parseOfflineList('# local list\n5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:12\n7C4A8D09CA3762AF61E59520943DC26494F8941B\n');
    expect(await checkPassword('password', { offline: list })).toEqual({ kind: 'pwned', count: 12 });
    expect(await checkPassword('123456', { offline: list })).toEqual({ kind: 'pwned', count: 1 });
    expect(await checkPassword('not in the list', { offline: list })).toEqual({ kind: 'clean' });
    expect(seen).toEqual([]);
  });
});
