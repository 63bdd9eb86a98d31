/**
 * The vault (spec 5.10, 10.3): a person's private keys and trust records, sealed under a key
 * derived from the password. Where it is kept: `vault-file.ts` (Node, a file written atomically)
 * and `vault-idb.ts` (browsers, IndexedDB); this module does no I/O and runs in both.
 *
 * hardened: `vault_key = ExpandLabel(Argon2id(password, salt, kdf, 32), "vault key", user_id, 32)`,
 * XChaCha20-Poly1305 with the encoding of every header field as associated data (REQ-KEY-010).
 * compat: `vault_key = LabeledHash("compat vault", password)`, unsalted and fast (W13, REQ-KEY-014).
 *
 * Format 2 adds the login pins of REQ-LOG-017 to the contents; a format 1 vault (written before)
 * is read as one without pins and written as format 2 when it is next stored (REQ-KEY-011).
 */
import type { Bytes } from '../bytes.ts';
import { decode, encode, encodePrefix } from '../codec.ts';
import { fastestArgon2id, type Argon2idAsync } from '../crypto/argon2.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { CryptoError, ProtocolError } from '../errors.ts';
import { compatVaultKey, vaultKey } from '../keyschedule.ts';
import { Vault, VaultContents, VaultContentsFormat1, type KdfParams } from '../messages/index.ts';
import { PROTOCOL_VERSION } from '../messages/types.ts';
import { identityFromSeeds, type Identity } from '../protocol/identity.ts';
import { passwordBytes } from '../protocol/login.ts';
import type { Rng } from '../rng.ts';
import type { Profile } from '../suite.ts';

/** The vault layout this code writes (REQ-KEY-011): 2, the contents with login pins (REQ-LOG-017). */
export const VAULT_FORMAT = 2;

/** The vault layouts this code reads, with the contents each seals (REQ-KEY-011). */
const CONTENTS_OF_FORMAT: ReadonlyMap<number, (plain: Bytes) => VaultContents> = new Map([
  [1, (plain: Bytes): VaultContents => ({ ...decode(VaultContentsFormat1, plain), login_pins: [] })],
  [2, (plain: Bytes): VaultContents => decode(VaultContents, plain)],
]);

/** The KDF parameters of a compat vault (REQ-KEY-014). */
export const COMPAT_VAULT_KDF: KdfParams = { algorithm: 'compat_sha256', memory_kib: 0, iterations: 0, parallelism: 0 };

/** Where sealed vaults are kept, by user id. */
export interface VaultStore {
  /** The stored vault of `userId`, or undefined. */
  get(userId: string): Promise<Bytes | undefined>;
  /** Stores `bytes` as the vault of `userId`, replacing the old one whole or not at all. */
  put(userId: string, bytes: Bytes): Promise<void>;
  /** The user ids that have a vault. */
  users(): Promise<string[]>;
  /** Closes the database. */
  close(): void;
}

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
  if (!CONTENTS_OF_FORMAT.has(v.format)) throw new ProtocolError('REQ-KEY-011', `vault format ${v.format}, this reader knows ${[...CONTENTS_OF_FORMAT.keys()].join(' and ')}: refused`);
  return v;
}

/** Opens a vault (REQ-KEY-010 to 014); nothing is changed by a failure. */
export async function openVault(c: CryptoProvider, bytes: Bytes, o: OpenOptions): Promise<{ header: Vault; contents: VaultContents }> {
  const v = vaultHeader(bytes);
  if (o.profile === 'hardened' && v.kdf.algorithm !== 'argon2id') throw new ProtocolError('REQ-KEY-014', 'a compat vault (unsalted SHA-256 key): a hardened reader refuses it');
  const key = await keyFor(c, v, o.password, o.argon2 ?? fastestArgon2id);
  const plain = c.aeadOpen(key, v.nonce, encodePrefix(Vault, v, 'sealed'), v.sealed);
  if (plain === undefined) throw new CryptoError('REQ-KEY-012', 'wrong password or corrupted vault');
  return { header: v, contents: CONTENTS_OF_FORMAT.get(v.format)!(plain) };
}

/** The vault contents of an identity (its ML-KEM archive included, REQ-KEY-002), with the trust records and login pins `rest` gives. */
export function contentsOf(identity: Identity, rest: Pick<VaultContents, 'trusted' | 'peers' | 'login_pins'> = { trusted: [], peers: [], login_pins: [] }): VaultContents {
  return { identity_seed: identity.seed, kem_keys: identity.kemKeys.map((k) => ({ version: k.version, seed: k.seed, cert: k.cert })), ...rest };
}

/** The identity a vault holds. */
export function identityOf(c: CryptoProvider, contents: VaultContents): Identity {
  return identityFromSeeds(c, contents.identity_seed, contents.kem_keys);
}
