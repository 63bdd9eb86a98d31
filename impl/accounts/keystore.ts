/**
 * Accounts kept in a {@link VaultStore} (spec 10.3): create one, open it, rotate its ML-KEM key,
 * change its password, keep its login pins (REQ-LOG-017). The same code runs in Node (a vault
 * file) and in browsers (IndexedDB).
 * Every change opens the stored vault first, so a wrong password changes nothing (REQ-KEY-012),
 * and stores the new vault whole (REQ-KEY-013, REQ-KEY-015).
 */
import { compareBytes, type Bytes } from '../bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { ProtocolError } from '../errors.ts';
import { fingerprint } from '../keyschedule.ts';
import type { KdfParams, LoginPin, VaultContents } from '../messages/index.ts';
import { createIdentity, rotateKem, type Identity } from '../protocol/identity.ts';
import type { Rng } from '../rng.ts';
import type { Profile } from '../suite.ts';
import { contentsOf, identityOf, openVault, sealVault, type VaultStore } from './vault.ts';
import type { Argon2idAsync } from '../crypto/argon2.ts';

/** Who and how: the account's user id, password, profile and Argon2id implementation. */
export interface AccountOptions {
  readonly userId: string;
  readonly password: string;
  readonly profile: Profile;
  readonly argon2?: Argon2idAsync;
}

/** An opened account. */
export interface Account {
  readonly identity: Identity;
  readonly contents: VaultContents;
  /** The KDF parameters its vault is sealed with. */
  readonly kdf: KdfParams;
}

async function store(c: CryptoProvider, rng: Rng, vaults: VaultStore, o: AccountOptions, contents: VaultContents, kdf: KdfParams): Promise<Account> {
  const bytes = await sealVault(c, rng, contents, { ...o, kdf });
  await vaults.put(o.userId, bytes);
  return { identity: identityOf(c, contents), contents, kdf };
}

/** Creates an account: a new identity (REQ-KEY-001) in a new vault; an existing vault of the user is never overwritten. */
export async function createAccount(c: CryptoProvider, rng: Rng, vaults: VaultStore, o: AccountOptions & { readonly kdf: KdfParams }): Promise<Account> {
  if ((await vaults.get(o.userId)) !== undefined) throw new ProtocolError('REQ-KEY-013', `a vault of ${o.userId} exists already: not overwritten`);
  return store(c, rng, vaults, o, contentsOf(createIdentity(c, rng)), o.kdf);
}

/** Opens the stored account (REQ-KEY-010 to 014). */
export async function openAccount(c: CryptoProvider, vaults: VaultStore, o: AccountOptions): Promise<Account> {
  const bytes = await vaults.get(o.userId);
  if (bytes === undefined) throw new ProtocolError('REQ-KEY-012', `no vault of ${o.userId}`);
  const { header, contents } = await openVault(c, bytes, o);
  if (header.user_id !== o.userId) throw new ProtocolError('REQ-KEY-010', `the vault stored for ${o.userId} is ${header.user_id}'s`);
  return { identity: identityOf(c, contents), contents, kdf: header.kdf };
}

/** Rotates the account's ML-KEM key (REQ-KEY-002): version + 1, certified, the old keys kept. */
export async function rotateAccountKem(c: CryptoProvider, rng: Rng, vaults: VaultStore, o: AccountOptions): Promise<Account> {
  const a = await openAccount(c, vaults, o);
  return store(c, rng, vaults, o, contentsOf(rotateKem(c, rng, a.identity), { trusted: a.contents.trusted, peers: a.contents.peers, login_pins: a.contents.login_pins }), a.kdf);
}

/** The login pin the account keeps for the relay whose key is `relayPk` (REQ-LOG-017), if any. */
export function loginPinOf(c: CryptoProvider, account: Account, relayPk: Bytes): LoginPin | undefined {
  const fp = fingerprint(c, relayPk);
  return account.contents.login_pins.find((p) => compareBytes(p.relay_fp, fp) === 0);
}

/**
 * Keeps the salt and KDF parameters of the account at the relay whose key is `relayPk` as its
 * login pin (REQ-LOG-017): the ones the client registered with, or those of its first login on a
 * device without the pin. One pin per relay: a new one replaces the old.
 */
export async function pinLogin(c: CryptoProvider, rng: Rng, vaults: VaultStore, o: AccountOptions, relayPk: Bytes, pin: Omit<LoginPin, 'relay_fp'>): Promise<Account> {
  const a = await openAccount(c, vaults, o);
  const relay_fp = fingerprint(c, relayPk);
  const login_pins = [...a.contents.login_pins.filter((p) => compareBytes(p.relay_fp, relay_fp) !== 0), { relay_fp, ...pin }].sort((x, y) => compareBytes(x.relay_fp, y.relay_fp));
  return store(c, rng, vaults, o, { ...a.contents, login_pins }, a.kdf);
}

/** Reseals the account under a new password (and, if given, new KDF parameters). */
export async function changePassword(c: CryptoProvider, rng: Rng, vaults: VaultStore, o: AccountOptions & { readonly newPassword: string; readonly kdf?: KdfParams }): Promise<Account> {
  const a = await openAccount(c, vaults, o);
  return store(c, rng, vaults, { ...o, password: o.newPassword }, a.contents, o.kdf ?? a.kdf);
}
