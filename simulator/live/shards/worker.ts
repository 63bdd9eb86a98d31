/**
 * One shard of `pqroom relay --workers N` (spec 8.13), a child process of the relay's front
 * (front.ts): the honest relay machine for the rooms, mailboxes and directory entries of its
 * shard, on a SQLite file of its own. It never sees a socket: the front sends it the machine's
 * events (connections authenticated and gone, decoded requests), it answers with what the
 * machine decided, after the group commit that made it durable (REQ-REL-050). A mailbox entry
 * for a principal whose mailbox another shard keeps goes to the outbox in the same transaction
 * and is forwarded until that shard has made it durable (REQ-REL-051).
 *
 * Run as `node --import tsx worker.ts DB INDEX COUNT PROFILE CONFIG-JSON` with an IPC
 * channel (advanced serialization); no I/O but its database and the channel.
 */
import { toHex, type Bytes } from '../../../impl/bytes.ts';
import { encode } from '../../../impl/codec.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../../impl/crypto/backends.ts';
import { MailboxDelivery } from '../../../impl/messages/index.ts';
import { emptyRelay } from '../../../impl/protocol/relay-state.ts';
import type { Profile } from '../../../impl/suite.ts';
import { start, step } from '../../../machines/driver.ts';
import type { RelayEffect, RelayEvent } from '../../../machines/events.ts';
import { relayMachine, type RelayConfig } from '../../../machines/relay.ts';
import { historyChunk, mailboxChunk } from '../../store.ts';
import { shardOf, type Forward, type FromShard, type ToShard } from './protocol.ts';
import { sqliteStore, type OutboxEntry } from '../sqlite-store.ts';

// this module's crypto is the real backends': loaded with it (liboqs is WebAssembly, instantiated asynchronously)
await loadRealBackends();

/** Runs a shard on `db` until the front says stop or the channel closes. */
export function runShard(db: string, index: number, count: number, profile: Profile, config: Partial<RelayConfig>, post: (m: FromShard) => void): { readonly receive: (m: ToShard) => void } {
  const store = sqliteStore(db);
  const saved = store.loadState();
  if (saved === undefined) store.saveState(emptyRelay(profile));
  let relay = start<typeof relayMachine, RelayEffect>(relayMachine, { crypto: realCrypto(fastestReal()), state: store.loadState() ?? emptyRelay(profile), config }).snapshot;
  const mine = (principal: Bytes): boolean => shardOf(principal, count) === index;
  const hwmKey = (origin: number): string => `forwarded-from-${origin}`;

  let out: RelayEffect[] = [];
  let forwards: Forward[] = [];
  let done: { origin: number; seq: number }[] = [];
  let open = false;

  /** One event through the machine, its writes in a savepoint of the batch; what it sends is held until the commit. */
  const feed = (event: RelayEvent, forwarded?: { origin: number; seq: number }): void => {
    if (forwarded) {
      // REQ-REL-051: applied once each, in the origin's outbox order; an earlier one already applied is reported done again, a later one waits for its turn (the origin sends its outbox again)
      const hwm = Number(store.meta(hwmKey(forwarded.origin)) ?? '0');
      if (forwarded.seq <= hwm) return void done.push(forwarded);
      if (forwarded.seq !== hwm + 1) return;
    }
    const r = step<typeof relayMachine, RelayEffect>(relayMachine, relay, event);
    const away: Forward[] = [];
    const skip = new Set<string>();
    store.atomically(() => {
      for (const fx of r.effects) {
        if (fx.type === 'effect.append') store.append(fx.roomId, fx.index, fx.payload, fx.epoch);
        else if (fx.type === 'effect.storeMail') {
          if (forwarded || mine(fx.principal)) store.storeMail(fx.principal, fx.entry);
          else {
            // REQ-REL-051: another shard keeps this mailbox; the entry's index is that shard's to give
            const entry: OutboxEntry = { to: fx.principal, roomId: fx.entry.room_id, inviteId: fx.entry.invite_id, payload: fx.entry.payload };
            away.push({ home: shardOf(fx.principal, count), origin: index, seq: store.outboxAdd(entry), entry });
            skip.add(toHex(encode(MailboxDelivery, { entry: fx.entry })));
          }
        }
      }
      store.saveState(r.snapshot.context.state);
      if (forwarded) store.setMeta(hwmKey(forwarded.origin), String(forwarded.seq));
    });
    relay = r.snapshot;
    forwards.push(...away);
    if (forwarded) done.push(forwarded);
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.append':
        case 'effect.storeMail':
          break;
        case 'effect.serveHistory':
          out.push({ type: 'effect.reply', conn: fx.conn, bytes: historyChunk(store, fx.reqId, fx.roomId, fx.from, fx.to, fx.limit, fx.lateBefore) });
          break;
        case 'effect.serveMailbox':
          out.push({ type: 'effect.reply', conn: fx.conn, bytes: mailboxChunk(store, fx.reqId, fx.principal, fx.from) });
          break;
        case 'effect.push':
          if (!skip.has(toHex(fx.bytes))) out.push(fx);
          break;
        default:
          out.push(fx);
      }
    }
  };

  /** Group commit: what one turn of the event loop brought is durable before any of it is reported (REQ-REL-050). */
  const commit = (): void => {
    // a 'stop' commits the open batch itself, then closes the store: the commit scheduled for that
    // batch finds nothing open (it used to commit on the closed database: TypeError at every stop under traffic)
    if (!open) return;
    open = false;
    store.commit();
    const m: FromShard = { t: 'out', effects: out, forwards, done, rooms: Object.keys(relay.context.state.rooms).length };
    out = [];
    forwards = [];
    done = [];
    post(m);
  };
  const inBatch = (f: () => void): void => {
    if (!open) {
      open = true;
      store.begin();
      setImmediate(commit);
    }
    f();
  };
  /** One event; a step that fails is logged, its savepoint rolled back, and disturbs no other (REQ-REL-043): the request goes unanswered and its client retransmits. */
  const guarded = (event: RelayEvent, forwarded?: { origin: number; seq: number }): void => {
    try {
      feed(event, forwarded);
    } catch (e) {
      post({ t: 'log', level: 'error', msg: 'relay step failed', error: e instanceof Error ? e.message : String(e) });
    }
  };

  const resend = (): Forward[] => store.outbox().map(({ seq, entry }) => ({ home: shardOf(entry.to, count), origin: index, seq, entry }));
  post({ t: 'ready', rooms: Object.keys(relay.context.state.rooms).length, forwards: resend() });

  return {
    receive(m) {
      switch (m.t) {
        case 'events':
          inBatch(() => {
            for (const e of m.events) guarded(e);
          });
          break;
        case 'forward':
          inBatch(() => guarded({ type: 'mail.forwarded', to: m.entry.to, roomId: m.entry.roomId, inviteId: m.entry.inviteId, payload: m.entry.payload, now: Date.now() }, { origin: m.origin, seq: m.seq }));
          break;
        case 'done':
          store.outboxDrop(m.seq);
          break;
        case 'resend':
          post({ t: 'out', effects: [], forwards: resend(), done: [], rooms: Object.keys(relay.context.state.rooms).length });
          break;
        case 'stop':
          if (open) commit();
          store.close();
          post({ t: 'stopped' });
          break;
      }
    },
  };
}

// the child process
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/')) && process.send) {
  const [db, index, count, profile, config] = process.argv.slice(2);
  // a front that went away is not an error of the shard's: the 'disconnect' below ends it
  const send = (m: FromShard): void => void (process.connected && process.send!(m, undefined, undefined, () => undefined));
  // SIGINT from a terminal reaches the whole process group: the front stops the shards itself, after their last commit
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => undefined);
  const shard = runShard(db!, Number(index), Number(count), profile as Profile, JSON.parse(config ?? '{}') as Partial<RelayConfig>, send);
  process.on('message', (m) => {
    shard.receive(m as ToShard);
    // not at once: a 'stop' that came before this listener is emitted from Node's own loop over the
    // messages it held, which clears that list after the loop and throws if the channel is gone by then
    // (Node 20: "Cannot set properties of null (setting 'Symbol(kPendingMessages)')")
    if ((m as ToShard).t === 'stop') setImmediate(() => process.connected && process.disconnect());
  });
  // the front went away (killed, say): a shard has nothing to do without it
  process.on('disconnect', () => process.exit(0));
}
