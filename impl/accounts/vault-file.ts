/**
 * The vault kept in a file, for Node (spec 10.3, REQ-KEY-013): written atomically, so a crash
 * mid-write leaves the old vault whole. Browsers keep it in IndexedDB instead (`vault-idb.ts`).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Bytes } from '../bytes.ts';
import { ProtocolError } from '../errors.ts';
import { vaultHeader, type VaultStore } from './vault.ts';

/** What {@link writeVaultFile} does between its steps, for crash tests. */
export interface WriteHooks {
  /** Called after the new bytes are written and flushed to the temporary file, before the rename. */
  readonly beforeRename?: () => void;
}

/**
 * Writes a vault file atomically (REQ-KEY-013): the new bytes go to a temporary file beside the
 * old one, are flushed, and the temporary file is renamed over the old one; then the directory
 * is flushed. A crash at any point leaves either the old vault or the new one, never a mix.
 */
export function writeVaultFile(path: string, bytes: Bytes, hooks: WriteHooks = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  hooks.beforeRename?.();
  renameSync(tmp, path);
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some platforms cannot open a directory for fsync; the rename itself is atomic
  }
}

/** Reads a vault file's bytes (a missing file is an error naming the path). */
export function readVaultFile(path: string): Bytes {
  if (!existsSync(path)) throw new Error(`no vault at ${path}`);
  return new Uint8Array(readFileSync(path));
}

/**
 * One vault file as a {@link VaultStore}: it holds the vault of the user its header names
 * (a file of another user is not returned for this one, nor overwritten by its vault), written atomically.
 */
export function fileVaultStore(path: string): VaultStore {
  const read = (): Bytes | undefined => (existsSync(path) ? readVaultFile(path) : undefined);
  return {
    get: async (userId) => {
      const bytes = read();
      return bytes !== undefined && vaultHeader(bytes).user_id === userId ? bytes : undefined;
    },
    // the file is one user's: another user's vault there is never replaced (createAccount's check asks get, which does not see it)
    put: async (userId, bytes) => {
      const old = read();
      const owner = old === undefined ? undefined : vaultHeader(old).user_id;
      if (owner !== undefined && owner !== userId) throw new ProtocolError('REQ-KEY-013', `${path} holds the vault of ${owner}: not overwritten with the vault of ${userId}`);
      writeVaultFile(path, bytes);
    },
    users: async () => {
      const bytes = read();
      return bytes === undefined ? [] : [vaultHeader(bytes).user_id];
    },
    close: () => {},
  };
}
