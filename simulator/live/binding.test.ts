/**
 * How the relay connection rides on WebSocket and what else the relay's port serves (spec 8.2:
 * REQ-TRN-011, REQ-TRN-012, REQ-TRN-013), on loopback against the live relay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { fromHex, toHex } from '../../impl/bytes.ts';
import { nodeCrypto as c } from '../../impl/crypto/node.ts';
import { decode, peekType } from '../../impl/codec.ts';
import { MsgType, ServerHello } from '../../impl/messages/index.ts';
import { clientHello } from '../../impl/protocol/transport.ts';
import { deterministicRng } from '../../impl/rng.ts';
import { startRelay, type LiveRelay } from './relay.ts';

const dir = mkdtempSync(join(tmpdir(), 'pqroom-binding-'));
let relay: LiveRelay;
let http: string;

beforeAll(async () => {
  relay = await startRelay({ port: 0, db: join(dir, 'r.db'), profile: 'hardened', log: () => {} });
  http = relay.url.replace(/^ws/, 'http');
});
afterAll(async () => {
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a WebSocket to the relay; resolves once open. */
function open(protocols?: string[]): Promise<WebSocket> {
  const ws = protocols ? new WebSocket(relay.url, protocols) : new WebSocket(relay.url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
const closed = (ws: WebSocket): Promise<number> => new Promise((r) => ws.once('close', (code) => r(code)));
const nextMessage = (ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> => new Promise((r) => ws.once('message', (data, isBinary) => r({ data: data as Buffer, isBinary })));

describe('REQ-TRN-011 the connection on WebSocket', () => {
  it('REQ-TRN-011 should answer a ClientHello sent as one binary message with one binary message holding exactly a ServerHello', async () => {
    const ws = await open();
    const hello = clientHello(c, deterministicRng(new TextEncoder().encode('binding')));
    const reply = nextMessage(ws);
    ws.send(hello.helloBytes, { binary: true });
    const m = await reply;
    expect(m.isBinary).toBe(true);
    const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    expect(peekType(bytes)).toBe(MsgType.ServerHello);
    expect(toHex(decode(ServerHello, bytes).relay_pk)).toBe(toHex(relay.publicKey)); // decodes whole: nothing around it
    ws.close();
  });
  it('REQ-TRN-011 should close the connection with 1003 on a text message', async () => {
    const ws = await open();
    const code = closed(ws);
    ws.send('hello');
    expect(await code).toBe(1003);
  });
  it('REQ-TRN-011 should select no subprotocol, even when one is offered', async () => {
    // the ws client fails an upgrade whose answer selects none of what it offered only if the server selects one; none selected is ''
    const ws = await open(['pqroom']).catch((e: Error) => e);
    if (ws instanceof Error) expect(ws.message).toMatch(/subprotocol/i);
    else {
      expect(ws.protocol).toBe('');
      ws.close();
    }
  });
  it('REQ-TRN-011 should negotiate no compression', async () => {
    const ws = await open();
    expect(ws.extensions).toBe('');
    ws.close();
  });
});

describe('REQ-TRN-012 REQ-TRN-013 the HTTP side of the port', () => {
  it('REQ-TRN-012 should serve the relay key as exactly 3904 lower-case hex characters', async () => {
    const res = await fetch(`${http}/relay-key`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toMatch(/^[0-9a-f]{3904}$/);
    expect(toHex(fromHex(body))).toBe(toHex(relay.publicKey));
  });
  it('REQ-TRN-013 should serve /healthz as JSON and /metrics as Prometheus text, 405 for other methods, 404 elsewhere', async () => {
    const h = await fetch(`${http}/healthz`);
    expect(h.status).toBe(200);
    const health = (await h.json()) as Record<string, unknown>;
    expect(health.ok).toBe(true);
    expect(typeof health.connections).toBe('number');
    expect(health.profile).toBe('hardened');
    expect(typeof health.rooms).toBe('number');
    const m = await fetch(`${http}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await m.text()).toMatch(/^# TYPE pqroom_connections gauge$/m);
    for (const path of ['/healthz', '/metrics', '/relay-key']) expect((await fetch(`${http}${path}`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${http}/nothing-here`)).status).toBe(404);
  });
});
