/**
 * Network faults of a simulated run (spec 8.12): loss, duplication, reordering,
 * delay, jitter, partitions that heal, client crashes and relay restarts. A fault set has a JSON
 * form and a compact string form for the command line; both parse to the same value.
 */

/** A set of nodes cut off from the relay for a while. */
export interface Partition {
  /** Client names cut off. */
  readonly nodes: readonly string[];
  /** Start, in virtual ms after the run starts. */
  readonly at: number;
  /** How long it lasts. */
  readonly duration: number;
}

/** A client crash: it loses everything not persisted, and restarts from its persisted state. */
export interface Crash {
  /** The client. */
  readonly node: string;
  /** When, in virtual ms after the run starts. */
  readonly at: number;
  /** How long it stays down. */
  readonly downtime: number;
}

/** A relay restart from its persisted state; every connection drops. */
export interface RelayRestart {
  /** When, in virtual ms after the run starts. */
  readonly at: number;
  /** How long it stays down. */
  readonly downtime: number;
}

/** Every fault of a run. Probabilities are per frame and per direction. */
export interface Faults {
  /** Base one-way latency (ms). */
  readonly latencyMs: number;
  /** Uniform extra latency, 0 to this (ms). */
  readonly jitterMs: number;
  /** Probability that a frame is lost. */
  readonly drop: number;
  /** Probability that a frame is delivered twice. */
  readonly duplicate: number;
  /** Probability that a frame is held back by up to `reorderMs`, letting later ones overtake it. */
  readonly reorder: number;
  /** Largest hold-back of a reordered frame (ms). */
  readonly reorderMs: number;
  /** Probability that a frame is delayed by `delayMs`. */
  readonly delay: number;
  /** Extra delay of a delayed frame (ms). */
  readonly delayMs: number;
  /** Partitions between clients and the relay. */
  readonly partitions: readonly Partition[];
  /** Client crashes. */
  readonly crashes: readonly Crash[];
  /** Relay restarts. */
  readonly relayRestarts: readonly RelayRestart[];
}

/** No faults: a perfect network with 5 ms latency. */
export const NO_FAULTS: Faults = {
  latencyMs: 5,
  jitterMs: 0,
  drop: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: 0,
  delay: 0,
  delayMs: 0,
  partitions: [],
  crashes: [],
  relayRestarts: [],
};

const KEYS = new Set(['latencyMs', 'jitterMs', 'drop', 'duplicate', 'reorder', 'reorderMs', 'delay', 'delayMs', 'partitions', 'crashes', 'relayRestarts']);

function prob(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`faults: ${name} must be a probability in [0, 1]`);
  return v;
}

function ms(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`faults: ${name} must be a non-negative integer (ms)`);
  return v;
}

/** Validates a fault set given as JSON (missing fields take the defaults of `NO_FAULTS`). */
export function faultsFromJson(json: unknown): Faults {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('faults: expected an object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) throw new Error(`faults: unknown field ${k}`);
  const list = <T>(name: string, f: (x: Record<string, unknown>, i: number) => T): T[] => {
    const v = o[name];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new Error(`faults: ${name} must be a list`);
    return v.map((x, i) => {
      if (typeof x !== 'object' || x === null) throw new Error(`faults: ${name}[${i}] must be an object`);
      return f(x as Record<string, unknown>, i);
    });
  };
  return {
    latencyMs: o.latencyMs === undefined ? NO_FAULTS.latencyMs : ms('latencyMs', o.latencyMs),
    jitterMs: o.jitterMs === undefined ? 0 : ms('jitterMs', o.jitterMs),
    drop: o.drop === undefined ? 0 : prob('drop', o.drop),
    duplicate: o.duplicate === undefined ? 0 : prob('duplicate', o.duplicate),
    reorder: o.reorder === undefined ? 0 : prob('reorder', o.reorder),
    reorderMs: o.reorderMs === undefined ? 0 : ms('reorderMs', o.reorderMs),
    delay: o.delay === undefined ? 0 : prob('delay', o.delay),
    delayMs: o.delayMs === undefined ? 0 : ms('delayMs', o.delayMs),
    partitions: list('partitions', (x, i) => {
      if (!Array.isArray(x.nodes) || x.nodes.length === 0 || !x.nodes.every((n) => typeof n === 'string')) throw new Error(`faults: partitions[${i}].nodes must be a list of names`);
      return { nodes: x.nodes as string[], at: ms(`partitions[${i}].at`, x.at), duration: ms(`partitions[${i}].duration`, x.duration) };
    }),
    crashes: list('crashes', (x, i) => {
      if (typeof x.node !== 'string') throw new Error(`faults: crashes[${i}].node must be a name`);
      return { node: x.node, at: ms(`crashes[${i}].at`, x.at), downtime: ms(`crashes[${i}].downtime`, x.downtime) };
    }),
    relayRestarts: list('relayRestarts', (x, i) => ({ at: ms(`relayRestarts[${i}].at`, x.at), downtime: ms(`relayRestarts[${i}].downtime`, x.downtime) })),
  };
}

/**
 * Parses the string form, a comma-separated list of:
 * `latency=MS`, `jitter=MS`, `drop=P`, `dup=P`, `reorder=P[:MS]`, `delay=P:MS`,
 * `partition=NAME+NAME@AT~DURATION`, `crash=NAME@AT~DOWNTIME`, `relay-restart=@AT~DOWNTIME`.
 * Example: `drop=0.05,dup=0.02,reorder=0.1:300,partition=alice+bob@20000~5000,crash=carol@30000~4000`.
 * A string starting with `{` is read as JSON.
 */
export function parseFaults(spec: string): Faults {
  const s = spec.trim();
  if (s === '' || s === 'none') return NO_FAULTS;
  if (s.startsWith('{')) return faultsFromJson(JSON.parse(s));
  const o: Record<string, unknown> = {};
  const partitions: unknown[] = [];
  const crashes: unknown[] = [];
  const restarts: unknown[] = [];
  for (const part of s.split(',')) {
    const [key, value = ''] = part.split('=', 2).map((x) => x.trim()) as [string, string?];
    const num = (x: string): number => {
      const n = Number(x);
      if (x === '' || !Number.isFinite(n)) throw new Error(`faults: ${key} needs a number, got "${x}"`);
      return n;
    };
    const window = (x: string): { at: number; span: number } => {
      const m = /^@(\d+)~(\d+)$/.exec(x);
      if (!m) throw new Error(`faults: ${key} needs @AT~DURATION, got "${x}"`);
      return { at: Number(m[1]), span: Number(m[2]) };
    };
    switch (key) {
      case 'latency':
        o.latencyMs = num(value);
        break;
      case 'jitter':
        o.jitterMs = num(value);
        break;
      case 'drop':
        o.drop = num(value);
        break;
      case 'dup':
        o.duplicate = num(value);
        break;
      case 'reorder': {
        const [p, m] = value.split(':');
        o.reorder = num(p!);
        o.reorderMs = m === undefined ? 200 : num(m);
        break;
      }
      case 'delay': {
        const [p, m] = value.split(':');
        o.delay = num(p!);
        o.delayMs = m === undefined ? 1000 : num(m);
        break;
      }
      case 'partition': {
        const at = value.indexOf('@');
        if (at < 1) throw new Error(`faults: partition needs NAME+NAME@AT~DURATION, got "${value}"`);
        const w = window(value.slice(at));
        partitions.push({ nodes: value.slice(0, at).split('+'), at: w.at, duration: w.span });
        break;
      }
      case 'crash': {
        const at = value.indexOf('@');
        if (at < 1) throw new Error(`faults: crash needs NAME@AT~DOWNTIME, got "${value}"`);
        const w = window(value.slice(at));
        crashes.push({ node: value.slice(0, at), at: w.at, downtime: w.span });
        break;
      }
      case 'relay-restart': {
        const w = window(value);
        restarts.push({ at: w.at, downtime: w.span });
        break;
      }
      default:
        throw new Error(`faults: unknown fault "${key}"`);
    }
  }
  if (partitions.length > 0) o.partitions = partitions;
  if (crashes.length > 0) o.crashes = crashes;
  if (restarts.length > 0) o.relayRestarts = restarts;
  return faultsFromJson(o);
}

/** Whether a fault set changes anything about a perfect network (latency and jitter aside). */
export function hasFaults(f: Faults): boolean {
  return f.drop + f.duplicate + f.reorder + f.delay > 0 || f.partitions.length + f.crashes.length + f.relayRestarts.length > 0;
}

/** When the last scheduled fault (partition, crash, relay restart) ends, in virtual ms after the start; 0 if none. */
export function lastFaultEnd(f: Faults): number {
  return Math.max(0, ...f.partitions.map((p) => p.at + p.duration), ...f.crashes.map((c) => c.at + c.downtime), ...f.relayRestarts.map((r) => r.at + r.downtime));
}

/** The string form of a fault set (parses back to the same value). */
export function faultsToString(f: Faults): string {
  const parts: string[] = [];
  if (f.latencyMs !== NO_FAULTS.latencyMs) parts.push(`latency=${f.latencyMs}`);
  if (f.jitterMs) parts.push(`jitter=${f.jitterMs}`);
  if (f.drop) parts.push(`drop=${f.drop}`);
  if (f.duplicate) parts.push(`dup=${f.duplicate}`);
  if (f.reorder) parts.push(`reorder=${f.reorder}:${f.reorderMs}`);
  if (f.delay) parts.push(`delay=${f.delay}:${f.delayMs}`);
  for (const p of f.partitions) parts.push(`partition=${p.nodes.join('+')}@${p.at}~${p.duration}`);
  for (const c of f.crashes) parts.push(`crash=${c.node}@${c.at}~${c.downtime}`);
  for (const r of f.relayRestarts) parts.push(`relay-restart=@${r.at}~${r.downtime}`);
  return parts.length === 0 ? 'none' : parts.join(',');
}
