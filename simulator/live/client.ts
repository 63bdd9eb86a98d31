/**
 * A live client in Node: the client host (`client-host.ts`: the role and connection machines on
 * the wall clock) over the `ws` transport.
 */
import { startClientHost, type LiveClient, type LiveClientOptions } from './client-host.ts';
import { wsDial } from './ws-transport.ts';

export type { LiveClient, LiveClientEvents, LiveClientOptions } from './client-host.ts';

/** Starts a client and connects it over `ws`. */
export function startLiveClient(o: LiveClientOptions): LiveClient {
  return startClientHost({ ...o, dial: (url, handlers) => wsDial(url, handlers) });
}
