/** The WebSocket transport's own bounds (spec 8.9), on loopback: a slow consumer is cut off, memory stays bounded. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Link } from '../transport.ts';
import { DEFAULT_WS_LIMITS, wsDial, wsListen } from './ws-transport.ts';

describe('REQ-REL-042 slow consumers', () => {
  it('REQ-REL-042 should close a connection whose unsent bytes already pass the bound, with the reason "slow consumer", and keep serving a reader', async () => {
    const server = createServer();
    const links: Link[] = [];
    const closed = new Map<string, string>();
    const listener = wsListen(server, (link) => {
      links.push(link);
      return { onFrame: () => {}, onClose: (reason) => closed.set(link.id, reason) };
    }, { maxFrameBytes: 1 << 20, maxBufferedBytes: 1 << 20 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // a client that stops reading, and one that reads everything
      const slow = new WebSocket(url);
      await new Promise<void>((r) => slow.once('open', () => r()));
      let slowCode = 0;
      const slowClosed = new Promise<void>((r) => slow.once('close', (code) => ((slowCode = code), r())));
      (slow as unknown as { _socket: { pause(): void } })._socket.pause();
      const reader = new WebSocket(url);
      let got = 0;
      reader.on('message', () => got++);
      await new Promise<void>((r) => reader.once('open', () => r()));
      expect(links).toHaveLength(2);
      const [toSlow, toReader] = links as [Link, Link];
      const frame = new Uint8Array(64 * 1024);
      let sent = 0;
      // bounded: at most 4,000 frames (256 MiB) or 20 s, whichever comes first
      const end = Date.now() + 20_000;
      while (!closed.has(toSlow.id) && sent < 4_000 && Date.now() < end) {
        toSlow.send(frame);
        toReader.send(frame);
        sent++;
        if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(closed.get(toSlow.id)).toBe('slow consumer');
      (slow as unknown as { _socket: { resume(): void } })._socket.resume();
      await slowClosed;
      expect(slowCode).toBe(1013);
      // the reader was not disturbed: it gets every frame sent to it
      const deadline = Date.now() + 10_000;
      while (got < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toBe(sent);
      expect(closed.has(toReader.id)).toBe(false);
      reader.close();
    } finally {
      await listener.close('test over', 500);
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);
});

describe('REQ-ENC-019 the frame limit is the only size limit', () => {
  it('REQ-ENC-019 REQ-REL-042 should take a frame above the old 1 MiB limit at both ends, and queue a frame larger than the queue bound into an empty queue', async () => {
    const server = createServer();
    const got: number[] = [];
    let toClient: Link | undefined;
    const listener = wsListen(server, (link) => {
      toClient = link;
      return { onFrame: (b) => got.push(b.length), onClose: () => {} };
    }, { ...DEFAULT_WS_LIMITS, maxBufferedBytes: 1 << 20 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const back: number[] = [];
    let closedWith = '';
    let client: Link | undefined;
    try {
      expect(DEFAULT_WS_LIMITS.maxFrameBytes).toBe(2 ** 24 + 32);
      await new Promise<void>((r) => {
        client = wsDial(url, { onFrame: (b) => back.push(b.length), onClose: (why) => (closedWith = why), onOpen: () => r() });
      });
      client!.send(new Uint8Array(3 << 20));
      const end = Date.now() + 10_000;
      while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual([3 << 20]);
      toClient!.send(new Uint8Array(2 << 20)); // twice the queue bound, into an empty queue
      while (back.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(back).toEqual([2 << 20]);
      expect(closedWith).toBe('');
    } finally {
      client?.close('test over');
      await listener.close('test over', 500);
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 30_000);
});

describe('the send callback (issue 23: the live relay reuses a frame buffer once the socket has taken it)', () => {
  it('calls `sent` once per frame after the frame went out whole, and at once for a frame a closed connection drops', async () => {
    const server = createServer();
    const links: Link[] = [];
    const listener = wsListen(server, (link) => {
      links.push(link);
      return { onFrame: () => {}, onClose: () => {} };
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new WebSocket(url);
      const got: Buffer[] = [];
      client.on('message', (d: Buffer) => got.push(d));
      await new Promise<void>((r) => client.once('open', () => r()));
      const link = links[0]!;
      const frames = [0, 1, 2].map((i) => new Uint8Array(50_000).fill(i + 1));
      const sent: number[] = [];
      for (const [i, f] of frames.entries()) link.send(f, () => sent.push(i));
      expect(sent).toEqual([]); // not before the socket took it
      await new Promise<void>((r) => (got.length === 3 ? r() : client.on('message', () => got.length === 3 && r())));
      for (const end = Date.now() + 5_000; sent.length < 3 && Date.now() < end; ) await new Promise<void>((r) => setTimeout(r, 5));
      expect(sent).toEqual([0, 1, 2]);
      expect(got.map((g) => [g.length, g[0], g[49_999]])).toEqual([[50_000, 1, 1], [50_000, 2, 2], [50_000, 3, 3]]);
      client.close();
      await new Promise<void>((r) => client.once('close', () => r()));
      await new Promise<void>((r) => setTimeout(r, 20));
      let dropped = 0;
      link.send(new Uint8Array(10), () => dropped++);
      expect(dropped).toBe(1);
    } finally {
      await listener.close('done');
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
