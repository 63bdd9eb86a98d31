/**
 * The malicious relay (spec 11.2): the honest relay logic with the adversary's tap around it.
 * It executes an attack plan, a list of capability uses written as data, instead of honest
 * forwarding, and records everything it handled (CAP-01). Plans are JSON, so that a run's trace
 * header can carry its plan and `pqroom replay` can re-run it.
 */
import { fromHex, toHex, type Bytes } from '../impl/bytes.ts';
import { decode, encode, encodeUnchecked, peekType } from '../impl/codec.ts';
import { HistoryChunk, MESSAGES, messageName, PostCommit, RoomDelivery, Rotate, Send, type MsgName } from '../impl/messages/index.ts';
import { messageLabel } from '../simulator/message-label.ts';
import type { RelayTap, TapApi, TapConn, TapOut } from '../simulator/world.ts';
import { innerMessage, mutate, retype, type Mutation } from './mutate.ts';

/** Which frames a plan step applies to. */
export interface Match {
  /** `down`: relay to client; `up`: client to relay. */
  readonly dir: 'down' | 'up';
  /** Only frames on this client's connection. */
  readonly client?: string;
  /** Only frames whose label (`RoomDelivery(AppMessage)`, `HistoryChunk`, ...) starts with this. */
  readonly msg?: string;
  /** Only room entries whose message was sent by this client (by its member id in the clear: `sender` of compat chat, the owner of an AppMessage's `sender`). */
  readonly sender?: string;
  /** Only room entries sent by someone other than the client receiving them (not its own message coming back). */
  readonly toOthers?: boolean;
  /** Only the nth matching frame (1-based); every matching frame when absent. */
  readonly nth?: number;
  /** Only frames at or after this virtual time (ms since the start). */
  readonly after?: number;
  /** Only frames before this virtual time (ms since the start). */
  readonly before?: number;
}

/**
 * Bytes a plan step uses: written out (`hex`), or a frame the relay handled earlier (`recorded`:
 * the `nth` frame, default the first, that the match would have matched, judged at the time the
 * relay handled it). Either may then have one field changed (`mutate`, the toolkit of CAP-07).
 */
export type PlanBytes = ({ readonly hex: string } | { readonly recorded: Match }) & { readonly mutate?: { readonly path: string; readonly mutation: PlanMutation } };

/**
 * A field change in a plan: a mutation of the toolkit, or a value the relay knows when it acts:
 * `member`, a client's member id; `room`, the room id the client `of` last named on its connection
 * (a frame of one room rebound to another: cross-room splicing, spec 7.11).
 */
export type PlanMutation = Mutation | { readonly op: 'member'; readonly name: string } | { readonly op: 'room'; readonly of: string };

/** One use of a capability (spec 11.2). */
export type PlanStep =
  /** CAP-02: the frame is not delivered. */
  | { readonly cap: 'CAP-02'; readonly op: 'drop'; readonly match: Match }
  /** CAP-03: the frame is delivered `ms` later. */
  | { readonly cap: 'CAP-03'; readonly op: 'delay'; readonly match: Match; readonly ms: number }
  /** CAP-04: the frame is held and delivered right after the next frame the step's match (without `nth`) matches; without `nth`, frames are swapped in pairs. */
  | { readonly cap: 'CAP-04'; readonly op: 'swap'; readonly match: Match }
  /**
   * CAP-04: the room delivery is handed over under log index `index` (one the client already
   * processed) instead of its own, and its own index is removed from every history chunk the
   * client is served afterwards: the client only ever sees the entry under the index it was told.
   */
  | { readonly cap: 'CAP-04'; readonly op: 'reindex'; readonly match: Match; readonly index: number }
  /**
   * CAP-05: the frame is delivered, and again `afterMs` later: to `to` (default the same
   * client), or, with `reappend`, appended to the room log again as if its sender had sent it
   * once more, so that every member gets it under a fresh log index.
   */
  | { readonly cap: 'CAP-05'; readonly op: 'replay'; readonly match: Match; readonly afterMs: number; readonly to?: string; readonly reappend?: boolean }
  /** CAP-07: one field changed and the message re-encoded. */
  | { readonly cap: 'CAP-07' | 'CAP-08'; readonly op: 'mutate'; readonly match: Match; readonly path: string; readonly mutation: PlanMutation }
  /** CAP-07 (W2): the message inside `payload` relabelled as another type with the same fields. */
  | { readonly cap: 'CAP-07'; readonly op: 'retype'; readonly match: Match; readonly to: MsgName }
  /**
   * CAP-11: a room entry withheld from one client everywhere: the matched delivery is dropped
   * and its log index is removed from every history chunk the client is served afterwards.
   */
  | { readonly cap: 'CAP-11'; readonly op: 'withhold'; readonly match: Match }
  /** CAP-09: the payload of the matched room delivery replaced by one the adversary made (a forged commit, say). */
  | { readonly cap: 'CAP-09'; readonly op: 'substitute'; readonly match: Match; readonly craft: string }
  /** CAP-09: a whole reply rewritten by a recipe (`MaliciousRelay.rewrites`): a served roster with a ghost member, say. */
  | { readonly cap: 'CAP-09'; readonly op: 'rewrite'; readonly match: Match; readonly craft: string }
  /** CAP-11: history chunks served to the client keep only their first `keep` entries and claim to be complete. */
  | { readonly cap: 'CAP-11'; readonly op: 'truncate'; readonly match: Match; readonly keep: number }
  /**
   * CAP-11: the client is frozen at the matched room delivery: that delivery and every later one
   * to the client are dropped, and every history chunk served to it afterwards ends before that
   * entry's log index and claims to be complete. Everything else (rosters, acknowledgements,
   * the client's own sends) is served honestly.
   */
  | { readonly cap: 'CAP-11'; readonly op: 'freeze'; readonly match: Match }
  /** CAP-06: when the matched frame passes, the adversary also sends `bytes` to client `to` (default the frame's client), as the relay. */
  | { readonly cap: 'CAP-06'; readonly op: 'inject'; readonly match: Match; readonly bytes: PlanBytes; readonly to?: string }
  /** CAP-13: when the matched frame passes, the adversary feeds `bytes` to the relay logic as a request of client `as`'s principal. */
  | { readonly cap: 'CAP-13'; readonly op: 'post'; readonly match: Match; readonly bytes: PlanBytes; readonly as: string }
  /**
   * CAP-09: the matched frame is replaced by an earlier one of the same kind (label) that the
   * client got: the `to`-th (default the first); a `req_id` is set to the current frame's, so that
   * the client takes it as the answer it is waiting for (a roster or history rolled back).
   */
  | { readonly cap: 'CAP-09'; readonly op: 'rollback'; readonly match: Match; readonly to?: number }
  /**
   * Not a capability of the relay but the world around it (spec 11.2.1): when the matched frame
   * passes, client `client` (default the frame's) crashes and restarts `downtimeMs` later, or the
   * relay does, so that an attack can be combined with a crash at the moment that matters.
   */
  | { readonly cap: 'FAULT'; readonly op: 'crash'; readonly match: Match; readonly client?: string; readonly downtimeMs: number }
  | { readonly cap: 'FAULT'; readonly op: 'restart-relay'; readonly match: Match; readonly downtimeMs: number };

/** An attack plan: capability uses, applied in order to every frame. */
export type Plan = readonly PlanStep[];

/** A frame the adversary handled. */
export interface Observation {
  /** Virtual time (ms since the start). */
  readonly t: number;
  /** Direction. */
  readonly dir: 'down' | 'up';
  /** The client's name. */
  readonly client: string;
  /** The bytes as the honest side produced them. */
  readonly bytes: Bytes;
}

/** The malicious relay's tap and what it saw. */
export interface MaliciousRelay extends RelayTap {
  /** Every frame handled, in order (CAP-01). */
  readonly observed: readonly Observation[];
  /** How many times each plan step fired. */
  readonly fired: readonly number[];
  /** Starts executing the plan (before this the relay forwards honestly, but still observes). */
  arm(): void;
  /** Sends a frame the adversary composed to a client (CAP-06); false when the client has no connection. */
  inject(client: string, bytes: Bytes): boolean;
  /** Feeds a request to the relay logic as `principal` (CAP-13). */
  post(principal: Bytes, bytes: Bytes): void;
  /** Adds a step to the plan while the run goes on. */
  addStep(step: PlanStep): void;
  /** Calls `f` for every frame handled once the plan is armed (after the frame is dealt with). */
  watch(f: (o: Observation) => void): void;
  /** Runs `f` at the current virtual time, after the frame being handled (never re-entrantly). */
  later(f: () => void): void;
  /** Recipes for `substitute`: a payload made for this client at the moment the step fires. */
  readonly crafts: Map<string, (client: string) => Bytes | undefined>;
  /** Recipes for `rewrite`: the frame to send this client instead of `frame` (undefined: leave it). */
  readonly rewrites: Map<string, (client: string, frame: Bytes) => Bytes | undefined>;
}

function senderOf(bytes: Bytes): string | undefined {
  const inner = innerMessage(bytes);
  if (!inner) return undefined;
  const v = decode(MESSAGES[inner.name], inner.bytes) as Record<string, unknown>;
  return v.sender instanceof Uint8Array ? toHex(v.sender) : undefined;
}

function roomIndex(bytes: Bytes): number | undefined {
  try {
    return decode(RoomDelivery, bytes).index;
  } catch {
    return undefined;
  }
}

/**
 * Makes the malicious relay for a plan. `senderIds` maps client names to member ids (hex), for
 * `Match.sender`; the harness fills it as clients are made. `keepObserved: false` (the live
 * relay, which runs without end) keeps no copy of the frames it handled.
 */
export function maliciousRelay(initial: Plan, senderIds: (client: string) => string | undefined, o: { readonly keepObserved?: boolean } = {}): MaliciousRelay {
  const plan: PlanStep[] = [...initial];
  const observed: Observation[] = [];
  const fired: number[] = plan.map(() => 0);
  const seen: number[] = plan.map(() => 0);
  const withheld: Map<string, Set<number>>[] = plan.map(() => new Map<string, Set<number>>()); // step -> client -> indices
  const swapHeld = new Map<number, Bytes>(); // step -> the frame held for a swap
  let api: TapApi | undefined;
  let armed = false;

  /** Whether a frame of `client`, handled at `t` (ms since the start), is one `m` names (`nth` aside). */
  const matchesAt = (m: Match, dir: 'down' | 'up', client: string, bytes: Bytes, label: string, t: number): boolean => {
    if (m.dir !== dir) return false;
    if (m.client !== undefined && m.client !== client) return false;
    if (m.msg !== undefined && !label.startsWith(m.msg)) return false;
    if (m.after !== undefined && t < m.after) return false;
    if (m.before !== undefined && t >= m.before) return false;
    if (m.sender !== undefined) {
      const id = senderIds(m.sender);
      if (id === undefined || senderOf(bytes) !== id) return false;
    }
    if (m.toOthers) {
      const sender = senderOf(bytes);
      if (sender === undefined || sender === senderIds(client)) return false;
    }
    return true;
  };
  const matches = (m: Match, dir: 'down' | 'up', to: TapConn, bytes: Bytes, label: string): boolean => matchesAt(m, dir, to.client, bytes, label, api ? api.now() - api.startTime : 0);

  /** The `nth` (default first) frame handled so far that `m` names, as it was handled (needs the record, CAP-01). */
  const recordedFrame = (m: Match): Bytes | undefined => {
    let n = 0;
    for (const o of observed) {
      if (!matchesAt(m, o.dir, o.client, o.bytes, messageLabel(o.bytes), o.t)) continue;
      if (++n === (m.nth ?? 1)) return o.bytes;
    }
    return undefined;
  };
  /** The bytes a step names, with its one change made; undefined when the recorded frame is not there (yet). */
  const planBytes = (b: PlanBytes): Bytes | undefined => {
    const raw = 'hex' in b ? fromHex(b.hex) : recordedFrame(b.recorded);
    if (raw === undefined || b.mutate === undefined) return raw;
    const m = resolve(b.mutate.mutation);
    return m === undefined ? undefined : mutate(raw, b.mutate.path, m);
  };
  /** For a rollback: the `to`-th earlier frame of this label that the client got, with the current frame's req_id. */
  const rolledBack = (step: { readonly to?: number }, client: string, bytes: Bytes, label: string): Bytes | undefined => {
    let n = 0;
    for (const o of observed) {
      if (o.bytes === bytes) break; // only what came before the current frame
      if (o.dir !== 'down' || o.client !== client || messageLabel(o.bytes) !== label) continue;
      if (++n !== (step.to ?? 1)) continue;
      try {
        const reqId = (decode(MESSAGES[messageName(peekType(bytes))!], bytes) as { req_id?: unknown }).req_id;
        return typeof reqId === 'number' ? mutate(o.bytes, 'req_id', { op: 'set', value: reqId }) : o.bytes;
      } catch {
        return o.bytes;
      }
    }
    return undefined;
  };

  /** Appends a delivered room entry to the log again, posing as its sender (CAP-05, CAP-13). */
  const reappend = (bytes: Bytes): void => {
    const d = decode(RoomDelivery, bytes);
    const inner = innerMessage(bytes);
    if (!inner || !api) return;
    const sender = (decode(MESSAGES[inner.name], inner.bytes) as { sender?: Bytes }).sender;
    if (!(sender instanceof Uint8Array)) return;
    const reqId = 0x7f000000 + replays++;
    const req =
      inner.name === 'CompatRotation'
        ? encode(Rotate, { req_id: reqId, room_id: d.room_id, payload: d.payload })
        : inner.name === 'Commit'
          ? encode(PostCommit, { req_id: reqId, room_id: d.room_id, payload: d.payload })
          : encode(Send, { req_id: reqId, room_id: d.room_id, payload: d.payload });
    api.asPrincipal(sender, req);
  };
  let replays = 0;
  const replayed: Set<string>[] = plan.map(() => new Set<string>()); // step -> entries it replayed
  const crafts = new Map<string, (client: string) => Bytes | undefined>();
  const rewrites = new Map<string, (client: string, frame: Bytes) => Bytes | undefined>();
  const watchers: ((o: Observation) => void)[] = [];
  const cuts = new Map<string, number>(); // client -> first log index never served in history again
  const frozen = new Map<string, number>(); // client -> first log index never delivered to it again (freeze)

  /** The mutation a plan's field change stands for now; undefined when the value is not known yet (a room not named yet). */
  function resolve(m: PlanMutation): Mutation | undefined {
    if (m.op === 'member') return { op: 'set', value: { hex: senderIds(m.name) ?? '' } };
    if (m.op === 'room') {
      const room = roomNamed.get(m.of);
      return room === undefined ? undefined : { op: 'set', value: { hex: room } };
    }
    return m;
  }
  // the room each client's connection last named (only kept when a plan rebinds frames to a room)
  const roomNamed = new Map<string, string>();
  const rebinds = JSON.stringify(plan).includes('"op":"room"');
  const noteRoom = (client: string, bytes: Bytes): void => {
    try {
      const room = (decode(MESSAGES[messageName(peekType(bytes))!], bytes) as { room_id?: unknown }).room_id;
      if (room instanceof Uint8Array) roomNamed.set(client, toHex(room));
    } catch {
      // names no room
    }
  };

  /** Whether a step can act on this frame at all (a mutation needs its field, a truncation a non-empty chunk). */
  const applicable = (step: PlanStep, conn: TapConn, bytes: Bytes, label: string): boolean => {
    try {
      if (step.op === 'mutate') {
        const m = resolve(step.mutation);
        if (m === undefined) return false;
        mutate(bytes, step.path, m);
      }
      if (step.op === 'retype') return innerMessage(bytes) !== undefined;
      if (step.op === 'truncate') return label.startsWith('HistoryChunk') && decode(HistoryChunk, bytes).entries.length > step.keep;
      if (step.op === 'withhold' || step.op === 'substitute' || step.op === 'reindex' || step.op === 'freeze') return roomIndex(bytes) !== undefined;
      if (step.op === 'inject' || step.op === 'post') return planBytes(step.bytes) !== undefined && (step.op === 'inject' || senderIds(step.as) !== undefined);
      if (step.op === 'rollback') return rolledBack(step, conn.client, bytes, label) !== undefined;
      return true;
    } catch {
      return false;
    }
  };

  const handle = (dir: 'down' | 'up', conn: TapConn, bytes: Bytes): readonly TapOut[] => {
    if (api && o.keepObserved !== false) observed.push({ t: api.now() - api.startTime, dir, client: conn.client, bytes });
    if (rebinds && dir === 'up') noteRoom(conn.client, bytes);
    if (!armed) return [{ bytes }];
    if (api) for (const w of watchers) w({ t: api.now() - api.startTime, dir, client: conn.client, bytes });
    const label = messageLabel(bytes);
    let outs: TapOut[] = [{ bytes }];
    // history chunks lose the entries withheld from this client and what lies past a cut (CAP-11)
    const filterHistory = (): void => {
      if (dir !== 'down' || !label.startsWith('HistoryChunk')) return;
      const drop = new Set<number>();
      for (const w of withheld) for (const i of w.get(conn.client) ?? []) drop.add(i);
      const cut = cuts.get(conn.client) ?? Infinity;
      if (drop.size === 0 && cut === Infinity) return;
      outs = outs.map((o) => {
        const h = decode(HistoryChunk, o.bytes);
        const entries = h.entries.filter((e) => !drop.has(e.index) && e.index < cut);
        if (entries.length === h.entries.length) return o;
        const truncated = h.entries.some((e) => e.index >= cut);
        return { ...o, bytes: encodeUnchecked(HistoryChunk, truncated ? { ...h, entries, complete: true, next_index: cut } : { ...h, entries }) };
      });
    };
    plan.forEach((step, i) => {
      if (!matches(step.match, dir, conn, bytes, label) || !applicable(step, conn, bytes, label)) return;
      seen[i]!++;
      // a frame held for a swap goes out right after the next frame this step matches; two
      // room deliveries also exchange their log indices, as a relay numbering the log would
      const held = swapHeld.get(i);
      if (held) {
        swapHeld.delete(i);
        const a = roomIndex(held);
        const b = roomIndex(bytes);
        if (a !== undefined && b !== undefined) {
          outs = [{ bytes: mutate(bytes, 'index', { op: 'set', value: a }) }, { bytes: mutate(held, 'index', { op: 'set', value: b }) }];
        } else outs = [...outs, { bytes: held }];
        return;
      }
      if (step.match.nth !== undefined && seen[i] !== step.match.nth) return;
      // each entry is replayed once per step (a replay of a replay would never end); a step that
      // meets an entry it already replayed does nothing, and does not count as fired
      const replayKey = step.op === 'replay' ? toHex(innerMessage(bytes)?.bytes ?? bytes) : '';
      if (step.op === 'replay' && replayed[i]!.has(replayKey)) return;
      fired[i]!++;
      api?.note(`${step.cap} ${step.op}`, `${dir} ${conn.client} ${label}`);
      switch (step.op) {
        case 'drop':
          outs = [];
          break;
        case 'delay':
          outs = outs.map((o) => ({ ...o, delayMs: (o.delayMs ?? 0) + step.ms }));
          break;
        case 'swap':
          if (outs.length === 1) {
            swapHeld.set(i, outs[0]!.bytes);
            outs = [];
          }
          return;
        case 'replay': {
          replayed[i]!.add(replayKey);
          const again = outs.map((o) => o.bytes);
          const to = step.to ?? conn.client;
          api?.at(api.now() + step.afterMs, () => {
            for (const b of again) {
              if (step.reappend) reappend(b);
              else if (dir === 'down') api!.sendDown(to, b);
              else api!.sendUp(to, b);
            }
          });
          break;
        }
        case 'mutate':
          outs = outs.map((o) => {
            try {
              return { ...o, bytes: mutate(o.bytes, step.path, resolve(step.mutation)!) };
            } catch {
              return o; // an earlier step changed the frame so that the field is gone
            }
          });
          break;
        case 'retype':
          outs = outs.map((o) => {
            const inner = innerMessage(o.bytes);
            return inner ? { ...o, bytes: mutate(o.bytes, 'payload', { op: 'set', value: { hex: toHex(retype(inner.bytes, step.to)) } }) } : o;
          });
          break;
        case 'withhold':
        case 'reindex': {
          const idx = roomIndex(bytes);
          if (idx !== undefined) {
            const set = withheld[i]!.get(conn.client) ?? new Set<number>();
            set.add(idx);
            withheld[i]!.set(conn.client, set);
          }
          outs = step.op === 'withhold' ? [] : outs.map((o) => ({ ...o, bytes: mutate(o.bytes, 'index', { op: 'set', value: step.index }) }));
          break;
        }
        case 'substitute': {
          const made = crafts.get(step.craft)?.(conn.client);
          if (made) outs = outs.map((o) => ({ ...o, bytes: mutate(o.bytes, 'payload', { op: 'set', value: { hex: toHex(made) } }) }));
          break;
        }
        case 'rewrite': {
          const f = rewrites.get(step.craft);
          if (f) outs = outs.map((o) => ({ ...o, bytes: f(conn.client, o.bytes) ?? o.bytes }));
          break;
        }
        case 'freeze': {
          const idx = roomIndex(bytes)!;
          frozen.set(conn.client, Math.min(frozen.get(conn.client) ?? Infinity, idx));
          cuts.set(conn.client, Math.min(cuts.get(conn.client) ?? Infinity, idx));
          break;
        }
        case 'inject': {
          const b = planBytes(step.bytes)!;
          const to = step.to ?? conn.client;
          api?.at(api.now(), () => void api?.sendDown(to, b));
          break;
        }
        case 'post': {
          const b = planBytes(step.bytes)!;
          const principal = fromHex(senderIds(step.as)!);
          api?.note('CAP-13 pose', `as ${step.as} ${messageLabel(b)}`);
          api?.at(api.now(), () => api?.asPrincipal(principal, b));
          break;
        }
        case 'rollback':
          outs = outs.map((o) => ({ ...o, bytes: rolledBack(step, conn.client, bytes, label)! }));
          break;
        case 'crash': {
          const who = step.client ?? conn.client;
          api?.at(api.now(), () => api?.crash?.(who, step.downtimeMs));
          break;
        }
        case 'restart-relay':
          api?.at(api.now(), () => api?.restartRelay?.(step.downtimeMs));
          break;
        case 'truncate': {
          // the history ends early: from the first chunk on, nothing at or after the cut is served
          const h = decode(HistoryChunk, bytes);
          const cut = h.entries[step.keep]!.index;
          cuts.set(conn.client, Math.min(cuts.get(conn.client) ?? Infinity, cut));
          break;
        }
      }
    });
    filterHistory();
    // a frozen client gets no room delivery at or after its freeze (CAP-11)
    const freeze = dir === 'down' ? frozen.get(conn.client) : undefined;
    if (freeze !== undefined) outs = outs.filter((o) => (roomIndex(o.bytes) ?? -1) < freeze);
    return outs;
  };

  return {
    observed,
    fired,
    crafts,
    rewrites,
    attach(a) {
      api = a;
    },
    watch(f) {
      watchers.push(f);
    },
    later(f) {
      api?.at(api.now(), f);
    },
    post(principal, bytes) {
      api?.note('CAP-13 pose', `as ${toHex(principal).slice(0, 16)} ${messageLabel(bytes)}`);
      api?.asPrincipal(principal, bytes);
    },
    addStep(step) {
      plan.push(step);
      fired.push(0);
      seen.push(0);
      withheld.push(new Map());
      replayed.push(new Set());
    },
    inject(client, bytes) {
      api?.note('CAP-06 inject', `${client} ${messageLabel(bytes)}`);
      return api?.sendDown(client, bytes) ?? false;
    },
    arm() {
      armed = true;
      api?.note('armed', `${plan.length} plan steps`);
    },
    up: (from, bytes) => handle('up', from, bytes),
    down: (to, bytes) => handle('down', to, bytes),
  };
}
