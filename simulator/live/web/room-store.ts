/**
 * The room a person keeps in a browser, across reloads (REQ-KEY-016): the role machine's
 * persisted state (REQ-MEM-026), sealed with AES-256-GCM in IndexedDB, one record per user id,
 * under `room_state_key` (spec 5.10): derived from the identity seed once the vault is open,
 * imported into WebCrypto as a key that cannot be exported, never stored. Before the vault is
 * opened and after the page is closed, nothing in the browser opens the record; a script running
 * in the page while it is open still can (spec 9.5's argument).
 *
 * The state is written as JSON with byte strings and big integers tagged, so that every field
 * comes back with its type. Writes are chained: each resolves once its transaction is durable,
 * and the client host lets a step's effects leave only then (REQ-MEM-002).
 */
import { fromHex, toHex, type Bytes } from '../../../impl/bytes.ts';
import type { Rng } from '../../../impl/rng.ts';
import { done, openDatabase, request } from '../../../impl/accounts/vault-idb.ts';
import type { PersistedRole } from '../../../machines/resume.ts';

/** What the store keeps of a user's room. */
export interface KeptRoom {
  readonly role: 'owner' | 'member';
  readonly state: PersistedRole;
}

/** A user's kept room. */
export interface RoomStore {
  /** The kept room, if any (undefined too when it does not open: it is then forgotten). */
  load(): Promise<KeptRoom | undefined>;
  /** Keeps this state; resolves once it is durable. */
  save(room: KeptRoom): Promise<void>;
  /** Forgets the room. */
  clear(): Promise<void>;
}

const STORE = 'rooms';

/** The state as bytes: JSON with `{ "$b": hex }` for byte strings and `{ "$n": digits }` for big integers. */
export function encodeState(room: KeptRoom): Bytes {
  return new TextEncoder().encode(JSON.stringify(room, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: toHex(v) } : typeof v === 'bigint' ? { $n: v.toString() } : v)));
}

/** The state back from its bytes. */
export function decodeState(bytes: Bytes): KeptRoom {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o['$b'] === 'string') return fromHex(o['$b']);
      if (keys.length === 1 && typeof o['$n'] === 'string') return BigInt(o['$n']);
    }
    return v;
  }) as KeptRoom;
}

interface Record_ {
  readonly iv: ArrayBuffer;
  readonly sealed: ArrayBuffer;
}

const buf = (b: Bytes): ArrayBuffer => b.slice().buffer as ArrayBuffer;

/**
 * The room store of `userId` in database `name`, sealed under `rawKey` (`room_state_key`, 32
 * bytes: overwritten here once imported); `rng` gives the nonces.
 */
export async function openRoomStore(userId: string, rawKey: Bytes, rng: Rng, name = 'pqroom-rooms', idb: IDBFactory = indexedDB): Promise<RoomStore> {
  const db = await openDatabase(idb, name, STORE);
  const subtle = globalThis.crypto.subtle;
  const aad = new TextEncoder().encode(`pqroom room state ${userId}`);
  const key = await subtle.importKey('raw', buf(rawKey), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  rawKey.fill(0); // the key lives on only inside WebCrypto
  const read = async (): Promise<Record_ | undefined> => {
    const v: unknown = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(userId));
    return v !== undefined && typeof v === 'object' && v !== null && 'sealed' in v ? (v as Record_) : undefined;
  };
  let chain: Promise<void> = Promise.resolve();
  return {
    async load() {
      const r = await read();
      if (!r) return undefined;
      try {
        const plain = await subtle.decrypt({ name: 'AES-GCM', iv: r.iv, additionalData: aad }, key, r.sealed);
        return decodeState(new Uint8Array(plain));
      } catch {
        return undefined;
      }
    },
    save(room) {
      chain = chain.then(async () => {
        const iv = rng.bytes(12);
        const sealed = await subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: aad }, key, buf(encodeState(room)));
        const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
        const finished = done(tx);
        tx.objectStore(STORE).put({ iv: buf(iv), sealed } satisfies Record_, userId);
        await finished;
      });
      return chain;
    },
    async clear() {
      await chain;
      const tx = db.transaction(STORE, 'readwrite');
      const finished = done(tx);
      tx.objectStore(STORE).delete(userId);
      await finished;
    },
  };
}
