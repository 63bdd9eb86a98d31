/**
 * The vault kept in a browser's IndexedDB (spec 10.3, REQ-KEY-015): one object store, the vault
 * bytes (already sealed, `vault.ts`) under the user id. A write is one `readwrite` transaction
 * with strict durability, resolved only when the transaction completes: it either replaces the
 * old vault whole or leaves it, which is what the atomic file write gives Node (REQ-KEY-013).
 * Unlocked sessions (REQ-LOG-021) are kept in their own database: `session-idb.ts`.
 */
import type { VaultStore } from './vault.ts';

/** The object store's name; its version is {@link IDB_VERSION}. */
export const IDB_STORE = 'vaults';
/** The database schema version this code creates and reads. */
export const IDB_VERSION = 1;

/** A request's result as a promise. */
export function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction completes (its writes are durable as its durability says). */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** Opens (creating if needed) database `name` of schema version {@link IDB_VERSION} with one object store. */
export async function openDatabase(idb: IDBFactory, name: string, store: string): Promise<IDBDatabase> {
  const open = idb.open(name, IDB_VERSION);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store);
  };
  return request(open);
}

/**
 * Opens (creating if needed) the IndexedDB database `name` as a vault store. A database of a
 * newer schema version than {@link IDB_VERSION} is refused by IndexedDB itself (VersionError),
 * never read with this layout (REQ-KEY-011).
 */
export async function openIdbVaultStore(name = 'pqroom-vaults', idb: IDBFactory = indexedDB): Promise<VaultStore> {
  const db = await openDatabase(idb, name, IDB_STORE);
  return {
    async get(userId) {
      const tx = db.transaction(IDB_STORE, 'readonly');
      const v: unknown = await request(tx.objectStore(IDB_STORE).get(userId));
      if (v === undefined) return undefined;
      if (!(v instanceof ArrayBuffer)) throw new TypeError(`the vault stored for ${userId} is not bytes`);
      return new Uint8Array(v);
    },
    async put(userId, bytes) {
      const tx = db.transaction(IDB_STORE, 'readwrite', { durability: 'strict' });
      const finished = done(tx);
      // an ArrayBuffer copy: what is stored does not alias the caller's array
      tx.objectStore(IDB_STORE).put(bytes.slice().buffer, userId);
      await finished;
    },
    async users() {
      const tx = db.transaction(IDB_STORE, 'readonly');
      const keys = await request(tx.objectStore(IDB_STORE).getAllKeys());
      return keys.map(String);
    },
    close: () => db.close(),
  };
}
