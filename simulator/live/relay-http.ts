/**
 * The HTTP side of `pqroom relay` (simulator/live/relay.ts): the operator's counters and their
 * Prometheus text (`/metrics`), and the answer to every plain HTTP request on the relay's port
 * (`/healthz`, `/metrics`, `/relay-key`, the web app at `/`), over TLS when given a certificate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { toHex, type Bytes } from '../../impl/bytes.ts';
import { systemRng } from '../../impl/rng.ts';
import type { RelayState } from '../../impl/protocol/relay-state.ts';
import { answerNonce, securityHeaders, serveWeb, type WebApp } from './web/serve.ts';
import type { ShardSet } from './shards/front.ts';

const LATENCY_BUCKETS_MS = [0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** What the relay counts; the trace's summary line carries them too. */
export interface RelayCounters {
  frames_in: number;
  frames_out: number;
  messages_out: number;
  bytes_in: number;
  bytes_out: number;
  connections_total: number;
}

/** The relay as `/metrics` and `/healthz` see it. */
export interface RelayGauges {
  connections(): number;
  rooms(): number;
  state(): RelayState;
  readonly shards?: ShardSet;
}

/** The counters, the rejections per requirement and the step-latency histogram of a live relay. */
export interface RelayMeters {
  readonly counters: RelayCounters;
  readonly rejections: Map<string, number>;
  /** Counts one rejection of `reqId`. */
  reject(reqId: string): void;
  /** Adds one relay step of `ms` milliseconds to the histogram. */
  observe(ms: number): void;
  /** Prometheus text of everything counted and of the gauges. */
  render(g: RelayGauges): string;
}

export function relayMeters(): RelayMeters {
  const counters: RelayCounters = { frames_in: 0, frames_out: 0, messages_out: 0, bytes_in: 0, bytes_out: 0, connections_total: 0 };
  const rejections = new Map<string, number>();
  const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  let latencySum = 0;
  let latencyCount = 0;
  return {
    counters,
    rejections,
    reject(reqId) {
      rejections.set(reqId, (rejections.get(reqId) ?? 0) + 1);
    },
    observe(ms) {
      latencySum += ms;
      latencyCount++;
      let i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
      if (i < 0) i = LATENCY_BUCKETS_MS.length;
      latency[i]!++;
    },
    render(g) {
      const shards = g.shards;
      const lines = [
        '# TYPE pqroom_connections gauge',
        `pqroom_connections ${g.connections()}`,
        '# TYPE pqroom_connections_total counter',
        `pqroom_connections_total ${counters.connections_total}`,
        '# TYPE pqroom_rooms gauge',
        `pqroom_rooms ${g.rooms()}`,
        '# TYPE pqroom_frames_in_total counter',
        `pqroom_frames_in_total ${counters.frames_in}`,
        '# TYPE pqroom_frames_out_total counter',
        `pqroom_frames_out_total ${counters.frames_out}`,
        '# TYPE pqroom_messages_out_total counter',
        `pqroom_messages_out_total ${counters.messages_out}`,
        '# TYPE pqroom_bytes_in_total counter',
        `pqroom_bytes_in_total ${counters.bytes_in}`,
        '# TYPE pqroom_bytes_out_total counter',
        `pqroom_bytes_out_total ${counters.bytes_out}`,
        ...(shards
          ? ['# TYPE pqroom_workers_up gauge', `pqroom_workers_up ${shards.up()}`, '# TYPE pqroom_worker_restarts_total counter', `pqroom_worker_restarts_total ${shards.restarts()}`]
          : ['# TYPE pqroom_log_entries gauge', `pqroom_log_entries ${Object.values(g.state().rooms).reduce((n, r) => n + r.nextIndex - 1, 0)}`]),
        '# TYPE pqroom_rejections_total counter',
        ...[...rejections].sort().map(([id, n]) => `pqroom_rejections_total{reason="${id}"} ${n}`),
        '# TYPE pqroom_step_latency_ms histogram',
      ];
      let cum = 0;
      LATENCY_BUCKETS_MS.forEach((b, i) => {
        cum += latency[i]!;
        lines.push(`pqroom_step_latency_ms_bucket{le="${b}"} ${cum}`);
      });
      lines.push(`pqroom_step_latency_ms_bucket{le="+Inf"} ${cum + latency[LATENCY_BUCKETS_MS.length]!}`, `pqroom_step_latency_ms_sum ${latencySum}`, `pqroom_step_latency_ms_count ${latencyCount}`);
      return `${lines.join('\n')}\n`;
    },
  };
}

/** What the plain HTTP answers of a relay are made of. */
export interface RelayHttp extends RelayGauges {
  readonly profile: string;
  readonly workers: number;
  /** The relay's ML-DSA public key. */
  readonly publicKey: Bytes;
  readonly web?: WebApp;
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  metrics(): string;
}

/** The relay's HTTP(S) server (not listening yet); the WebSocket upgrade is attached to it apart. */
export function relayHttpServer(r: RelayHttp): Server {
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    // REQ-WEB-003: the security headers on every answer, each with a nonce of its own; REQ-WEB-004:
    // no cookie is ever set, and no HTTP endpoint changes state
    const nonce = answerNonce(systemRng);
    for (const [k, v] of Object.entries(securityHeaders(nonce, r.tls !== undefined))) res.setHeader(k, v);
    // REQ-TRN-012, REQ-TRN-013: the key and the operator interfaces, GET only
    if ((req.url === '/healthz' || req.url === '/metrics' || req.url === '/relay-key') && req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (req.url === '/healthz') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, profile: r.profile, connections: r.connections(), rooms: r.rooms(), ...(r.shards ? { workers: r.workers, workersUp: r.shards.up() } : {}) }));
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(r.metrics());
    } else if (req.url === '/relay-key') {
      // REQ-TRN-012: the key as 3904 hex characters; a convenience, never a pin (W12)
      res.writeHead(200, { 'content-type': 'text/plain' }).end(toHex(r.publicKey));
    } else if (r.web === undefined || !serveWeb(r.web, req, res, nonce)) res.writeHead(404).end();
  };
  // over TLS (https and wss) when given a certificate and its key (REQ-WEB-003: then with HSTS)
  return r.tls === undefined ? createServer(answer) : createHttpsServer({ cert: r.tls.cert, key: r.tls.key }, answer);
}
