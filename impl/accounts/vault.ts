/**
 * The vault (spec 5.10, 10.3): a person's private keys and trust records, sealed under a key
 * derived from the password, and written to a file atomically.
 *
 * hardened: `vault_key = ExpandLabel(Argon2id(password, salt, kdf, 32), "vault key", user_id, 32)`,
 * XChaCha20-Poly1305 with the encoding of every header field as associated data (REQ-KEY-010).
 * compat: `vault_key = LabeledHash("compat vault", password)`, unsalted and fast (W13, REQ-KEY-014).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Bytes } from '../bytes.ts';
import { decode, encode, encodePrefix } from '../codec.ts';
import { fastestArgon2id, type Argon2idAsync } from '../crypto/argon2.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { CryptoError, ProtocolError } from '../errors.ts';
import { compatVaultKey, vaultKey } from '../keyschedule.ts';
import { Vault, VaultContents, type KdfParams } from '../messages/index.ts';
import { PROTOCOL_VERSION } from '../messages/types.ts';
import { identityFromSeeds, type Identity } from '../protocol/identity.ts';
import { passwordBytes } from '../protocol/login.ts';
import type { Rng } from '../rng.ts';
import type { Profile } from '../suite.ts';

/** The vault layout this code reads and writes (REQ-KEY-011). */
export const VAULT_FORMAT = 1;

/** The KDF parameters of a compat vault (REQ-KEY-014). */
export const COMPAT_VAULT_KDF: KdfParams = { algorithm: 'compat_sha256', memory_kib: 0, iterations: 0, parallelism: 0 };

/** What sealing needs. */
export interface SealOptions {
  readonly profile: Profile;
  readonly userId: string;
  readonly password: string;
  /** hardened: the Argon2id parameters (spec 10.3 profiles); ignored in compat. */
  readonly kdf: KdfParams;
  /** The Argon2id implementation (default: the fastest, hash-wasm). */
  readonly argon2?: Argon2idAsync;
}

async function keyFor(c: CryptoProvider, v: Pick<Vault, 'kdf' | 'salt' | 'user_id'>, password: string, argon2: Argon2idAsync): Promise<Bytes> {
  if (password.length === 0) throw new ProtocolError('REQ-KEY-010', 'a vault needs a password that is not empty');
  if (v.kdf.algorithm === 'compat_sha256') return compatVaultKey(c, passwordBytes(password));
  const h = await argon2(passwordBytes(password), v.salt, { m: v.kdf.memory_kib, t: v.kdf.iterations, p: v.kdf.parallelism }, 32);
  return vaultKey(c, h, v.user_id);
}

/** Seals `contents` into a vault file's bytes (REQ-KEY-010, REQ-KEY-014). */
export async function sealVault(c: CryptoProvider, rng: Rng, contents: VaultContents, o: SealOptions): Promise<Bytes> {
  const kdf = o.profile === 'compat' ? COMPAT_VAULT_KDF : o.kdf;
  const draft: Vault = { format: VAULT_FORMAT, user_id: o.userId, kdf, salt: rng.bytes(16), nonce: rng.bytes(24), sealed: new Uint8Array(16) };
  const key = await keyFor(c, draft, o.password, o.argon2 ?? fastestArgon2id);
  const ad = encodePrefix(Vault, draft, 'sealed'); // the whole header, the user id included
  return encode(Vault, { ...draft, sealed: c.aeadSeal(key, draft.nonce, ad, encode(VaultContents, contents)) });
}

/** What opening needs. */
export interface OpenOptions {
  readonly profile: Profile;
  readonly password: string;
  readonly argon2?: Argon2idAsync;
}

/** Reads a vault's header without opening it (REQ-KEY-011: an unknown version or format is refused, never misread). */
export function vaultHeader(bytes: Bytes): Vault {
  if (bytes.length > 0 && bytes[0] !== PROTOCOL_VERSION) throw new ProtocolError('REQ-KEY-011', `vault of protocol version ${bytes[0]}, this reader knows ${PROTOCOL_VERSION}: refused`);
  const v = decode(Vault, bytes);
  if (v.format !== VAULT_FORMAT) throw new ProtocolError('REQ-KEY-011', `vault format ${v.format}, this reader knows ${VAULT_FORMAT}: refused`);
  return v;
}

/** Opens a vault (REQ-KEY-010 to 014); nothing is changed by a failure. */
export async function openVault(c: CryptoProvider, bytes: Bytes, o: OpenOptions): Promise<{ header: Vault; contents: VaultContents }> {
  const v = vaultHeader(bytes);
  if (o.profile === 'hardened' && v.kdf.algorithm !== 'argon2id') throw new ProtocolError('REQ-KEY-014', 'a compat vault (unsalted SHA-256 key): a hardened reader refuses it');
  const key = await keyFor(c, v, o.password, o.argon2 ?? fastestArgon2id);
  const plain = c.aeadOpen(key, v.nonce, encodePrefix(Vault, v, 'sealed'), v.sealed);
  if (plain === undefined) throw new CryptoError('REQ-KEY-012', 'wrong password or corrupted vault');
  return { header: v, contents: decode(VaultContents, plain) };
}

/** The vault contents of an identity (its ML-KEM archive included, REQ-KEY-002). */
export function contentsOf(identity: Identity, rest: Pick<VaultContents, 'trusted' | 'peers'> = { trusted: [], peers: [] }): VaultContents {
  return { identity_seed: identity.seed, kem_keys: identity.kemKeys.map((k) => ({ version: k.version, seed: k.seed, cert: k.cert })), ...rest };
}

/** The identity a vault holds. */
export function identityOf(c: CryptoProvider, contents: VaultContents): Identity {
  return identityFromSeeds(c, contents.identity_seed, contents.kem_keys);
}

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
