/**
 * Unlocked sessions kept in a browser's IndexedDB (spec 9.5, REQ-LOG-021): database
 * `pqroom-sessions`, object store `sessions`, the record `{ session, key }` under the user id.
 * The key is a non-extractable `CryptoKey`, which IndexedDB stores as it is (structured clone
 * keeps `extractable: false`). A write is one strict-durability transaction.
 */
import type { SessionStore, StoredSession } from './session.ts';
import { done, openDatabase, request } from './vault-idb.ts';

/** The object store's name. */
export const IDB_SESSION_STORE = 'sessions';

interface Row {
  readonly session: ArrayBuffer;
  readonly key: CryptoKey;
}

/** Opens (creating if needed) the IndexedDB database `name` as a session store. */
export async function openIdbSessionStore(name = 'pqroom-sessions', idb: IDBFactory = indexedDB): Promise<SessionStore> {
  const db = await openDatabase(idb, name, IDB_SESSION_STORE);
  const write = async (f: (s: IDBObjectStore) => void): Promise<void> => {
    const tx = db.transaction(IDB_SESSION_STORE, 'readwrite', { durability: 'strict' });
    const finished = done(tx);
    f(tx.objectStore(IDB_SESSION_STORE));
    await finished;
  };
  return {
    async get(userId): Promise<StoredSession | undefined> {
      const row: unknown = await request(db.transaction(IDB_SESSION_STORE, 'readonly').objectStore(IDB_SESSION_STORE).get(userId));
      if (row === undefined) return undefined;
      const r = row as Partial<Row>;
      if (!(r.session instanceof ArrayBuffer) || !(r.key instanceof CryptoKey)) throw new TypeError(`the session stored for ${userId} is not a session record`);
      return { session: new Uint8Array(r.session), key: r.key };
    },
    put: (userId, s) => write((o) => o.put({ session: s.session.slice().buffer, key: s.key } satisfies Row, userId)),
    delete: (userId) => write((o) => o.delete(userId)),
    async users() {
      return (await request(db.transaction(IDB_SESSION_STORE, 'readonly').objectStore(IDB_SESSION_STORE).getAllKeys())).map(String);
    },
    close: () => db.close(),
  };
}
