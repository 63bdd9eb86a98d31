/**
 * A trace as a Mermaid `sequenceDiagram` an auditor can read: one arrow per message a party sent
 * (a lost frame ends in a cross, a held-back one says by how much), notes for epochs, joins,
 * removals, crashes, partitions and disconnections, and a marked note for every alarm and every
 * rejection that is not a routine duplicate, and the adversary's moves (spec 11.2) as notes on the
 * relay. Long runs are cut to a window and a length (the first lines, or the last ones before a
 * moment, such as a property violation, which can be marked).
 */
import type { TraceEvent } from './trace.ts';

/** What to render. */
export interface MermaidOptions {
  /** First virtual ms to show (default 0). */
  readonly from?: number;
  /** Last virtual ms to show (default: the end). */
  readonly to?: number;
  /** Most diagram lines (arrows and notes) to emit before cutting (default 600). */
  readonly limit?: number;
  /** Which lines to keep when there are more than `limit`: the first (default) or the last. */
  readonly keep?: 'first' | 'last';
  /** Notes to add at given moments, highlighted (a property violation, say). */
  readonly marks?: readonly { readonly t: number; readonly over: string; readonly text: string }[];
}

/** Rejections that retransmission and network duplication cause in every run (spec 12.1): counted, not drawn. */
const ROUTINE = new Set(['REQ-TRN-005', 'REQ-MEM-016']);

const STATUS_NOTES = new Set(['room-created', 'invite', 'joined', 'admitted', 'epoch', 'removed', 'join-failed', 'join-unconfirmed', 'send-refused']);
const EVENT_NOTES = new Set(['crash', 'restart', 'disconnected', 'partition', 'heal', 'admit', 'remove', 'offline', 'online', 'lost-user-event', 'fault-skipped']);

/** Text safe inside a Mermaid message or note (no statement separators, no entity syntax, one line). */
function clean(s: string): string {
  return s.replace(/[;#\n\r]/g, ' ').replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›')).slice(0, 160);
}

function idOf(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

type Ev = TraceEvent & Record<string, unknown>;

/** The parties of a run without room clients, in the order they first act; the adversary last. */
function partiesOf(evs: readonly Ev[]): string[] {
  const seen: string[] = [];
  const add = (x: unknown): void => {
    const name = String(x);
    if (x !== undefined && name !== 'adversary' && name !== 'network' && name !== 'scenario' && !seen.includes(name)) seen.push(name);
  };
  for (const e of evs) {
    if (e.kind === 'send') {
      add(e.actor);
      add(e.to);
    } else if (e.kind === 'event' || e.kind === 'reject' || e.kind === 'alarm' || e.kind === 'user') add(e.actor);
  }
  return [...seen, 'adversary'];
}

/** Renders a trace (its parsed lines, header and summary included) as a Mermaid sequence diagram. */
export function traceToMermaid(events: readonly TraceEvent[], o: MermaidOptions = {}): string {
  const from = o.from ?? 0;
  const to = o.to ?? Infinity;
  const limit = o.limit ?? 600;
  const evs = events as readonly Ev[];
  const header = evs.find((e) => e.kind === 'run');
  const summary = evs.find((e) => e.kind === 'summary');
  // participants: clients in the order they were added, then the relay
  const clients: string[] = [];
  for (const e of evs) if (e.kind === 'event' && e.what === 'added' && !clients.includes(String(e.actor))) clients.push(String(e.actor));
  // a login or trust run has no room clients: its parties are whoever sends or acts, the adversary last
  const room = clients.length > 0;
  const parties = room ? [...clients, 'relay'] : partiesOf(evs);
  const adversaryAt = room ? 'relay' : 'adversary';
  const out: string[] = ['sequenceDiagram'];
  if (header?.live === true) out.push(`  %% ${clean(`live run of the ${String(header.role)}, ${String(header.profile)}${header.adversary === undefined ? '' : `, adversary ${String(header.adversary)}`}`)}`);
  else if (header?.scenario !== undefined) out.push(`  %% ${clean(`scenario ${String(header.scenario)}, seed ${String(header.seed)}, ${String(header.profile)}, faults ${String(header.faults)}, backend ${String(header.backend)}`)}`);
  else if (header?.attack !== undefined) out.push(`  %% ${clean(`attack ${String(header.attack)}, seed ${String(header.seed)}, ${String(header.profile)}, backend ${String(header.backend)}${header.mutant === undefined ? '' : `, mutant ${String(header.mutant)}`}`)}`);
  for (const c of parties) out.push(c === 'relay' ? '  participant relay' : `  participant ${idOf(c)} as ${clean(c)}`);
  let body: string[] = [];
  let routine = 0;
  let cut = 0;
  const keepFirst = o.keep !== 'last';
  const emit = (line: string): void => {
    if (!keepFirst || body.length < limit) body.push(`  ${line}`);
    else cut++;
  };
  const marks = [...(o.marks ?? [])].sort((a, b) => a.t - b.t);
  const flushMarks = (before: number): void => {
    while (marks.length > 0 && marks[0]!.t < before) {
      const m = marks.shift()!;
      if (m.t >= from && m.t <= to) {
        emit('rect rgb(255, 215, 215)');
        emit(`Note over ${idOf(m.over)}: ${m.t} ${clean(m.text)}`);
        emit('end');
      }
    }
  };
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i]!;
    if (e.kind === 'run' || e.kind === 'summary' || (e.kind as string) === 'verdict' || e.t < from || e.t > to) continue;
    flushMarks(e.t);
    const who = idOf(String(e.actor ?? ''));
    switch (e.kind) {
      case 'send': {
        // the network's verdict on this frame follows its send line
        const notes: string[] = [];
        let lost = false;
        while (evs[i + 1]?.kind === 'fault' && evs[i + 1]!.from === e.actor && evs[i + 1]!.t === e.t) {
          const f = evs[++i]!;
          if (f.fault === 'drop' || f.fault === 'partition') lost = true;
          notes.push(f.fault === 'drop' ? 'lost' : f.fault === 'partition' ? 'partitioned' : f.fault === 'duplicate' ? 'duplicated' : `+${String(f.extraMs)} ms`);
        }
        const arrow = lost ? '-x' : '->>';
        const target = idOf(String(e.to));
        emit(`${who}${arrow}${target}: ${e.t} ${clean(String(e.msg))}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`);
        break;
      }
      case 'fault':
        // a frame with no message line of its own: the handshake (room runs), a dropped login frame
        emit(room ? `Note over ${idOf(String(e.from))},${idOf(String(e.to))}: ${e.t} handshake frame ${String(e.fault)}` : `Note over ${adversaryAt}: ${e.t} ${clean(`${String(e.fault)} ${String(e.from)} to ${String(e.to)}`)}`);
        break;
      case 'alarm':
        emit(`Note over ${who}: ${e.t} ALARM ${clean(`${String(e.reqId)} ${String(e.detail)}`)}`);
        break;
      case 'reject':
        if (ROUTINE.has(String(e.reqId))) routine++;
        else emit(`Note over ${who}: ${e.t} rejected ${clean(`${String(e.reqId)} ${String(e.detail)}`)}`);
        break;
      case 'status':
        if (STATUS_NOTES.has(String(e.status))) emit(`Note over ${who}: ${e.t} ${clean(String(e.status))}${e.epoch === undefined ? '' : ` ${String(e.epoch)}`}`);
        break;
      case 'event':
        if (e.actor === 'adversary') emit(`Note over ${adversaryAt}: ${e.t} ${clean(`adversary: ${String(e.what)}${e.detail === undefined ? '' : ` ${String(e.detail)}`}`)}`);
        else if (EVENT_NOTES.has(String(e.what)) || (!room && e.what !== 'added')) {
          const over = e.actor === 'network' || e.actor === 'scenario' ? (room ? `${idOf(clients[0]!)},relay` : 'relay') : who;
          emit(`Note over ${over}: ${e.t} ${clean(`${e.actor === 'scenario' ? 'scenario: ' : ''}${String(e.what)}${e.detail === undefined ? '' : ` ${String(e.detail)}`}`)}`);
        }
        break;
      default:
        break;
    }
  }
  flushMarks(Infinity);
  if (!keepFirst && body.length > limit) {
    cut = body.length - limit;
    body = body.slice(cut);
    // a highlighted block must not lose its opening line
    while (body[0]?.trim() === 'end' || body[0]?.trim().startsWith('Note') && body[1]?.trim() === 'end') body = body.slice(1);
  }
  out.push(...body);
  const tail: string[] = [];
  if (cut > 0) tail.push(keepFirst ? `${cut} more lines cut (see the JSONL trace, or choose a window)` : `${cut} earlier lines cut (see the JSONL trace)`);
  if (routine > 0) tail.push(`${routine} routine duplicate rejections not drawn`);
  if (summary) tail.push(`summary: ${summary.ok === true ? 'checks hold' : 'checks FAILED'}, ${String(summary.sent)} sent, ${String(summary.delivered)} delivered, ${String(summary.alarms)} alarms, transcript ${String(summary.transcriptHash)}`);
  if (tail.length > 0 && parties.length > 0) out.push(`  Note over ${idOf(parties[0]!)}${parties.length > 1 ? `,${idOf(parties.at(-1)!)}` : ''}: ${clean(tail.join(' / '))}`);
  return `${out.join('\n')}\n`;
}
