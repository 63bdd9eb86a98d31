/**
 * The WebSocket transport (`ws`): the same `Link` and `LinkHandlers` as the simulator's
 * in-memory transport, on real sockets. One binary WebSocket message is one frame, no
 * subprotocol, no compression, a text message closes with 1003 (REQ-TRN-011). The relay
 * end refuses frames above a size limit (the connection closes with 1009) and closes a
 * connection whose unsent bytes pass a bound (a slow consumer), so memory stays bounded.
 */
import type { IncomingMessage, Server } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Bytes } from '../../impl/bytes.ts';
import { MAX_FRAME_BYTES } from '../../impl/messages/types.ts';
import type { Link, LinkHandlers } from '../transport.ts';

/** Limits of the relay end. */
export interface WsLimits {
  /** Largest frame accepted (bytes). */
  readonly maxFrameBytes: number;
  /** Unsent bytes queued for one connection before it is closed as a slow consumer. */
  readonly maxBufferedBytes: number;
}

/** REQ-ENC-019: every party accepts frames up to the frame limit (2^24 + 32 bytes), and refuses larger ones unread; REQ-REL-042: 32 MiB of unsent bytes, twice the frame limit. */
export const DEFAULT_WS_LIMITS: WsLimits = { maxFrameBytes: MAX_FRAME_BYTES, maxBufferedBytes: 32 << 20 };

function bytesOf(data: RawData): Bytes {
  const b = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Either end's reading: binary messages become frames; a text message closes with 1003 (REQ-TRN-011, at either end); the close ends the link. */
function receive(ws: WebSocket, closed: () => boolean, finish: (reason: string) => void, onFrame: (frame: Bytes) => void): void {
  ws.on('message', (data, isBinary) => {
    if (closed()) return;
    if (!isBinary) {
      finish('text frame');
      ws.close(1003, 'binary frames only');
      return;
    }
    onFrame(bytesOf(data));
  });
  ws.on('close', (code, why) => finish(why.toString() || `closed ${code}`));
}

function link(ws: WebSocket, id: string, maxBuffered: number, onClose: (reason: string) => void): Link {
  return {
    id,
    send(bytes, sent) {
      if (ws.readyState !== WebSocket.OPEN) return sent?.();
      if (ws.bufferedAmount > maxBuffered) {
        // REQ-REL-042: a slow consumer is closed rather than buffered without bound: a queue that
        // already holds more than the bound takes nothing more (so it holds at most the bound and one frame)
        onClose('slow consumer');
        ws.close(1013, 'slow consumer');
        return sent?.();
      }
      // ws writes the frame's header and `bytes` to the socket as they are (no copy, a server masks
      // nothing); its callback runs once the socket's write completed or failed: `bytes` is then free
      if (sent) ws.send(bytes, { binary: true }, sent);
      else ws.send(bytes, { binary: true });
    },
    close(reason) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, reason.slice(0, 120));
    },
  };
}

/** The relay end on an HTTP server: upgrades requests, and hands each connection to `accept`. */
export function wsListen(
  server: Server,
  /** A new connection: its link, a name for logs, and the `Origin` of its upgrade request when it had one (REQ-WEB-002). */
  accept: (link: Link, peer: string, origin?: string) => LinkHandlers,
  limits: WsLimits = DEFAULT_WS_LIMITS,
  /** Whether an upgrade request may become a connection (the relay's origin check); refused ones get 403. */
  upgradeAllowed: (req: IncomingMessage) => boolean = () => true,
): { readonly close: (reason: string, graceMs?: number) => Promise<void>; readonly clients: () => number } {
  // REQ-TRN-011: no subprotocol is selected (even when one is offered), no compression; a message
  // above the frame limit closes the connection with 1009 before it is read (REQ-TRN-007)
  const wss = new WebSocketServer({
    server,
    handleProtocols: () => false,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => (upgradeAllowed(info.req) ? done(true) : done(false, 403, 'origin not allowed')),
  });
  let next = 0;
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const id = `ws${++next}`;
    let closed = false;
    const finish = (reason: string): void => {
      if (closed) return;
      closed = true;
      handlers.onClose(reason);
    };
    const handlers = accept(link(ws, id, limits.maxBufferedBytes, finish), `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}#${id}`, req.headers.origin);
    receive(ws, () => closed, finish, handlers.onFrame);
    ws.on('error', (e) => finish(e.message));
  });
  return {
    /** Closes every connection (1001, going away) and resolves once each has closed; a client that does not answer within `graceMs` is cut off. */
    close(reason, graceMs = 2_000) {
      const open = [...wss.clients];
      const closedAll = Promise.all(open.map((ws) => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : ws.once('close', () => r()))))).then(() => undefined);
      for (const ws of open) ws.close(1001, reason);
      wss.close();
      let timer: NodeJS.Timeout | undefined;
      const cutOff = new Promise<void>((r) => {
        timer = setTimeout(() => {
          for (const ws of open) ws.terminate();
          r();
        }, graceMs);
      });
      return Promise.race([closedAll, cutOff]).finally(() => clearTimeout(timer));
    },
    clients: () => wss.clients.size,
  };
}

/** The client end: opens a connection to `url`; frames and the close come to `handlers`. */
export function wsDial(url: string, handlers: LinkHandlers & { readonly onOpen?: () => void }, limits: WsLimits = DEFAULT_WS_LIMITS): Link {
  const ws = new WebSocket(url, { maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(reason);
  };
  const pending: Bytes[] = [];
  ws.on('open', () => {
    for (const b of pending.splice(0)) ws.send(b, { binary: true });
    handlers.onOpen?.();
  });
  receive(ws, () => closed, finish, handlers.onFrame);
  ws.on('error', (e) => finish(e.message));
  const l = link(ws, url, limits.maxBufferedBytes, finish);
  return {
    id: l.id,
    send(bytes) {
      if (ws.readyState === WebSocket.CONNECTING) pending.push(bytes);
      else l.send(bytes);
    },
    close: (reason) => {
      l.close(reason);
      finish(reason);
    },
  };
}
