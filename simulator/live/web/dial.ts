/**
 * The browser's end of the WebSocket transport: the same `Link` as the `ws` transport of
 * `../ws-transport.ts`, on the browser's own `WebSocket`. One binary message is one frame
 * (spec 8.2); a text message ends the connection, as it does at the relay.
 */
import type { Bytes } from '../../../impl/bytes.ts';
import type { Link, LinkHandlers } from '../../transport.ts';

/** Opens a connection to `url` from a page. */
export function browserDial(url: string, handlers: LinkHandlers): Link {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(reason);
  };
  const pending: Bytes[] = [];
  ws.onopen = () => {
    for (const b of pending.splice(0)) ws.send(b as Uint8Array<ArrayBuffer>);
  };
  ws.onmessage = (e: MessageEvent) => {
    if (closed) return;
    if (!(e.data instanceof ArrayBuffer)) {
      finish('text frame');
      ws.close(1003, 'binary frames only');
      return;
    }
    handlers.onFrame(new Uint8Array(e.data));
  };
  ws.onclose = (e: CloseEvent) => finish(e.reason || `closed ${e.code}`);
  ws.onerror = () => finish('connection error');
  return {
    id: url,
    send(bytes) {
      if (ws.readyState === WebSocket.CONNECTING) pending.push(bytes);
      else if (ws.readyState === WebSocket.OPEN) ws.send(bytes as Uint8Array<ArrayBuffer>);
    },
    close(reason) {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000, reason.slice(0, 120));
      finish(reason);
    },
  };
}
