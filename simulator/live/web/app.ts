/**
 * The web chat (spec 13, REQ-WEB-001): a room in a browser, on the very machines of `machines/`
 * that the simulator and `pqroom demo` run, hosted by the same client host (`../client-host.ts`)
 * over the browser's WebSocket. The page pins the relay key it is served (trust on first use,
 * W12), creates a room or joins one with an invite (text or link: the invite rides in the URL's
 * fragment, which the browser never sends to the server), chats, shows the roster with each
 * member's emoji and the full comparison string of spec 10, and shows every alarm and refused
 * input with its requirement id. Only what the member machine delivered is shown as a message:
 * a refused input appears in the alarm list, never in the conversation. Peer text is put into
 * the page as text (`textContent`), never as markup.
 *
 * A person first creates an account or unlocks it: the identity lives in the browser's vault
 * (IndexedDB, sealed under the password with Argon2id at the interactive profile, in WebAssembly;
 * spec 10.3, REQ-KEY-015), so a reload keeps the person, and every connection registers or logs
 * in with the hardened login of spec 9 (the password never leaves the page), whose pin
 * (REQ-LOG-017) goes into the vault. The login's own Argon2id (interactive profile) is derived in
 * WebAssembly before the login starts, under the salt the page registers with or has pinned; the
 * login machine's synchronous call finds it (`precomputedArgon2id`), and noble computes only a
 * derivation not made beforehand (a salt served to a page without pin).
 *
 * The room survives a reload too: the role machine's state is kept after every step, sealed in
 * IndexedDB (`room-store.ts`, REQ-KEY-016), and a step's frames leave only once it is kept
 * (REQ-MEM-002); after the next login the page resumes the room (REQ-MEM-026) with a fresh
 * generator (REQ-CRY-015). Messages shown before the reload are not shown again (the machine
 * keeps keys and progress, not plaintexts).
 *
 * Second factor (spec 9.7): a logged-in person may add a security key (WebAuthn, a discoverable
 * credential for this host) or an authenticator app (a TOTP secret drawn here, shown in base32,
 * enrolled with the app's first code); at every later login the relay asks for it before it admits the
 * connection, and the page answers with `navigator.credentials.get` (or asks for a TOTP code
 * when that is what the account enrolled). The relay verifies; the page only relays the browser's answer.
 *
 * Several rooms: each room on the page has a client of its own (its own connection and login,
 * the same account and keys), its own slot in the room store and its own timeline; a tab shows
 * one at a time while the others go on. The page holds at most 8.
 *
 * Not yet: leaving by a commit, and the second seed's session rules.
 */
import { fromHex, toBase64Url, toHex, utf8, type Bytes } from '../../../impl/bytes.ts';
import { createAccount, loginPinOf, openAccount, pinLogin, type Account, type AccountOptions } from '../../../impl/accounts/keystore.ts';
import { openIdbVaultStore } from '../../../impl/accounts/vault-idb.ts';
import { fastestArgon2id, precomputedArgon2id } from '../../../impl/crypto/argon2.ts';
import { nobleCrypto } from '../../../impl/crypto/noble.ts';
import { fingerprintEmoji, relayKeyFingerprint, safetyString, verifySafetyString } from '../../../impl/fingerprint.ts';
import { inviteFromText } from '../../../impl/invite.ts';
import { expandLabel } from '../../../impl/labels.ts';
import type { Identity } from '../../../impl/protocol/identity.ts';
import { DEFAULT_MIN_KDF, passwordBytes, register, type LoginPin } from '../../../impl/protocol/login.ts';
import type { KdfParams } from '../../../impl/messages/index.ts';
import { KEM_SEED_BYTES } from '../../../impl/suite.ts';
import { systemRng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import type { ClientCore } from '../../../machines/client-core.ts';
import type { Status } from '../../../machines/events.ts';
import type { PersistedRole } from '../../../machines/resume.ts';
import { startClientHost, type FactorAnswer, type LiveClient } from '../client-host.ts';
import type { FactorChallenge } from '../../../impl/messages/index.ts';
import { browserDial } from './dial.ts';
import { openRoomStore, type RoomStore } from './room-store.ts';

const c = nobleCrypto;
// the login's Argon2id (REQ-LOG-001) at the interactive profile, derived in WebAssembly before the
// login starts under the salt the page registers with or has pinned (REQ-LOG-017); the login
// machine's synchronous call then finds it (noble computes only what was not derived beforehand)
const loginKdf = precomputedArgon2id(nobleCrypto, fastestArgon2id);
const deriveLogin = (password: string, salt: Bytes, kdf: KdfParams): Promise<Bytes> =>
  loginKdf.precompute(passwordBytes(password), salt, { m: kdf.memory_kib, t: kdf.iterations, p: kdf.parallelism }, KEM_SEED_BYTES);
const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
};
const el = (tag: string, text: string, cls?: string): HTMLElement => {
  const e = document.createElement(tag);
  e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

const profile = (document.querySelector('meta[name="pqroom-profile"]')?.getAttribute('content') ?? 'hardened') as Profile;
let identity: Identity | undefined;
let me = '';
let account: { readonly o: AccountOptions; readonly register: boolean; pin: LoginPin | undefined; registration?: Bytes } | undefined;
let relayPk: Bytes | undefined;
const verified = new Set<string>();

/** A room the page is in: its own client (its own connection and login), its kept state (one slot of the room store), its timeline and tab. */
interface PageRoom {
  readonly slot: number;
  readonly role: 'owner' | 'member';
  readonly store: RoomStore;
  readonly list: HTMLOListElement;
  readonly tab: HTMLButtonElement;
  client?: LiveClient;
  left?: boolean;
}
/** Rooms one page holds at most (each has a connection of its own). */
const MAX_ROOMS = 8;
const pageRooms: PageRoom[] = [];
let selected: PageRoom | undefined;
/** The client of the room shown, unless it was left. */
const current = (): LiveClient | undefined => (selected?.left ? undefined : selected?.client);

/** A line in a room's timeline: messages, joins, epochs, removals. */
function timeline(room: PageRoom, text: string, cls: string): void {
  const t = room.list;
  t.append(el('li', text, cls));
  t.scrollTop = t.scrollHeight;
}

/** An alarm or a refused input, loud: the requirement id and what happened. */
function alarm(kind: 'alarm' | 'reject', reqId: string, detail: string): void {
  const li = el('li', '', kind);
  li.append(el('strong', `${kind === 'alarm' ? 'ALARM' : 'refused'} ${reqId}`), el('span', ` ${detail}`));
  $('alarms').append(li);
  $('alarm-count').textContent = String($('alarms').children.length);
  document.body.classList.add('alarmed');
}

const short = (hex: string): string => (hex === me ? 'you' : fingerprintEmoji(fromHex(hex)).split(' ').slice(0, 4).join(' '));

function onStatus(room: PageRoom, s: Status): void {
  switch (s.kind) {
    case 'room-created':
      timeline(room, `room ${toHex(s.roomId).slice(0, 16)} created`, 'event');
      room.tab.textContent = `room ${toHex(s.roomId).slice(0, 8)} (owner)`;
      select(room);
      break;
    case 'invite': {
      const link = `${location.origin}${location.pathname}#invite=${encodeURIComponent(s.text)}`;
      ($('invite-text') as HTMLTextAreaElement).value = s.text;
      const a = $('invite-link') as HTMLAnchorElement;
      a.href = link;
      a.textContent = 'invite link';
      $('invite-out').hidden = room !== selected;
      timeline(room, 'invite made (one use)', 'event');
      break;
    }
    case 'joined':
      timeline(room, `joined at epoch ${s.epoch}`, 'event');
      select(room);
      break;
    case 'admitted':
      timeline(room, `${short(toHex(s.memberId))} joined at epoch ${s.epoch}`, 'event');
      break;
    case 'epoch':
      timeline(room, `epoch ${s.epoch} (${s.reason})`, 'epoch');
      break;
    case 'removed':
      timeline(room, `you were removed at epoch ${s.epoch}`, 'removed');
      break;
    case 'join-failed':
      timeline(room, `join failed: ${s.reqId} ${s.detail}`, 'removed');
      ($('join') as HTMLButtonElement).disabled = false;
      break;
    case 'sent':
      timeline(room, `you: ${s.text}`, 'mine');
      break;
    case 'send-refused':
      timeline(room, `not sent (${s.reqId}): ${s.text}`, 'removed');
      break;
    default:
      break;
  }
  if (room === selected) renderRoster();
}

function renderRoster(): void {
  const room = selected;
  const ctx = room?.client?.context() as ClientCore | undefined;
  const g = ctx?.group;
  const list = $('roster');
  list.replaceChildren();
  $('epoch').textContent = g ? String(g.epoch) : ctx?.compat ? 'compat' : '-';
  const roster = g?.epochs[g.epoch]?.roster ?? [];
  for (const r of roster) {
    const hex = toHex(r.member_id);
    const li = el('li', '', verified.has(hex) ? 'verified' : '');
    li.append(el('span', fingerprintEmoji(r.member_id), 'emoji'), el('span', ` ${hex === me ? '(you) ' : ''}${r.role === 'owner' ? 'owner ' : ''}`), el('code', safetyString(r.member_id)));
    li.dataset['member'] = hex;
    if (hex !== me) {
      const check = el('button', verified.has(hex) ? 'verified' : 'verify');
      check.addEventListener('click', () => {
        const said = prompt(`Compare with what the peer's own page shows as "your safety string" (spec 10): ${safetyString(r.member_id)}. Type or paste what they read out:`);
        if (said === null) return;
        if (verifySafetyString(r.member_id, said)) verified.add(hex);
        else alarm('alarm', 'REQ-KEY-031', `the safety string given for ${short(hex)} does not match: not the key this room shows`);
        renderRoster();
      });
      li.append(check);
      if (room?.role === 'owner' && !room.left) {
        const rm = el('button', 'remove');
        rm.addEventListener('click', () => room.client?.user({ type: 'user.remove', memberId: r.member_id }));
        li.append(rm);
      }
    }
    list.append(li);
  }
}

/** Shows `room`: its timeline, roster and tools (the other rooms go on in the background). */
function select(room: PageRoom): void {
  selected = room;
  for (const r of pageRooms) {
    r.list.hidden = r !== room;
    if (r === room) r.list.id = 'timeline';
    else r.list.removeAttribute('id');
    r.tab.classList.toggle('selected', r === room);
    r.tab.setAttribute('aria-pressed', String(r === room));
  }
  $('room-tabs').hidden = false;
  $('setup').hidden = true;
  $('room').hidden = false;
  $('owner-tools').hidden = room.role !== 'owner' || room.left === true;
  $('invite-out').hidden = true;
  $('send-form').hidden = room.left === true;
  renderRoster();
}

/**
 * The room store's slot `slot` (slot 0 is the one a page of one room kept). REQ-KEY-016: its key
 * derives from the open vault's identity each time (the store imports it and wipes the bytes).
 */
const storeFor = (slot: number): Promise<RoomStore> => {
  const userId = account!.o.userId;
  const key = expandLabel(c, identity!.seed, 'room state key', new TextEncoder().encode(userId), 32);
  return openRoomStore(slot === 0 ? userId : `${userId}#${slot}`, key, systemRng);
};

/** A free slot for a new room, if the page holds fewer than MAX_ROOMS. */
const freeSlot = (): number | undefined => [...Array(MAX_ROOMS).keys()].find((i) => !pageRooms.some((r) => r.slot === i && !r.left));

/** A new room on the page with its own client (and connection), resumed from `resume` when it was kept. */
function addRoom(role: 'owner' | 'member', slot: number, store: RoomStore, resume?: PersistedRole): PageRoom {
  const list = document.createElement('ol');
  list.className = 'timeline';
  list.hidden = true;
  $('timelines').append(list);
  const tab = el('button', `room ${slot + 1}${role === 'owner' ? ' (owner)' : ''}`) as HTMLButtonElement;
  tab.type = 'button';
  tab.dataset['slot'] = String(slot);
  $('room-tabs').insertBefore(tab, $('new-room'));
  const room: PageRoom = { slot, role, store, list, tab };
  tab.addEventListener('click', () => select(room));
  pageRooms.push(room);
  room.client = start(room, resume);
  return room;
}

function start(room: PageRoom, resume?: PersistedRole): LiveClient {
  const role = room.role;
  const store = room.store;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  const a = account!;
  return startClientHost({
    name: role,
    role,
    url,
    crypto: loginKdf.provider,
    profile,
    identity: identity!,
    dial: browserDial,
    // spec 9: registered on the first connection, logged in on every one; the password stays here
    login: { username: a.o.userId, password: a.o.password, register: a.register, ...(a.pin === undefined ? {} : { pin: a.pin }), ...(a.registration === undefined ? {} : { registration: a.registration }) },
    ...(relayPk === undefined ? {} : { relayPk }),
    ...(profile === 'hardened' ? { factor: { answer: answerFactorInTurn } } : {}),
    ...(resume === undefined ? {} : { resume }),
    persist: (state: PersistedRole) => store.save({ role, state }),
    config: { syncMs: 2_000, gapGraceMs: 5_000 },
    on: {
      // one's own message is shown when sent ('sent'); its copy from the log is not shown again
      deliver: (d) => (d.sender === me ? undefined : timeline(room, `${short(d.sender)}: ${d.text}`, 'message')),
      status: (st) => onStatus(room, st),
      raise: (kind, reqId, detail) => alarm(kind, reqId, detail),
      connected: () => {
        $('conn').textContent = `connected, logged in as ${a.o.userId}`;
        document.body.dataset['loginKdf'] = loginKdf.counts.hits > 0 && loginKdf.counts.misses === 0 ? 'webassembly' : 'noble';
        const f = $('factor-status');
        if (f.textContent!.startsWith('second factor given')) f.textContent = f.textContent!.replace('given', 'accepted by the relay');
        $('add-key').hidden = profile !== 'hardened' || !('credentials' in navigator);
        $('add-totp').hidden = profile !== 'hardened';
      },
      // REQ-LOG-017: the account's salt and KDF parameters at this relay, kept in the vault
      pinned: (pin) => {
        a.pin = pin;
        if (relayPk) void openIdbVaultStore().then((v) => pinLogin(c, systemRng, v, a.o, relayPk!, { username: a.o.userId, salt: pin.salt, kdf: pin.kdf }));
      },
    },
  });
}

const b64u = (b: ArrayBuffer): string => toBase64Url(new Uint8Array(b));
const buf = (b: Bytes): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** Each room's connection logs in on its own: their factor answers take turns (a browser serves one credential request at a time). */
let factorTurn: Promise<unknown> = Promise.resolve();
function answerFactorInTurn(ch: FactorChallenge): Promise<FactorAnswer | undefined> {
  const p = factorTurn.then(() => answerFactor(ch));
  factorTurn = p.catch(() => undefined);
  return p;
}

/** REQ-LOG-031: the relay asks for the account's second factor before it admits the connection. */
async function answerFactor(ch: FactorChallenge): Promise<FactorAnswer | undefined> {
  $('factor-status').textContent = 'second factor: use your security key';
  let answered: string | undefined;
  try {
    if (ch.webauthn) {
      // REQ-LOG-033: an assertion over the relay's challenge, for this host; the relay checks origin, RP id, signature and counter
      const cred = (await navigator.credentials.get({ publicKey: { challenge: buf(ch.challenge), rpId: location.hostname, userVerification: 'discouraged', timeout: 60_000 } })) as PublicKeyCredential | null;
      if (!cred) return undefined;
      const r = cred.response as AuthenticatorAssertionResponse;
      const json = { id: cred.id, rawId: b64u(cred.rawId), type: 'public-key', clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: b64u(r.clientDataJSON), authenticatorData: b64u(r.authenticatorData), signature: b64u(r.signature), ...(r.userHandle ? { userHandle: b64u(r.userHandle) } : {}) } };
      answered = 'your security key';
      return { method: 'webauthn', webauthn: utf8(JSON.stringify(json)) };
    }
    // REQ-LOG-034: a TOTP code from the person's authenticator app
    const code = prompt('Second factor: the 6-digit code of your authenticator app');
    answered = code === null ? undefined : 'your authenticator app';
    return code === null ? undefined : { method: 'totp', code: code.trim() };
  } finally {
    $('factor-status').textContent = answered === undefined ? '' : `second factor given with ${answered}`;
  }
}

/** REQ-LOG-030: enrolls a security key for the logged-in account (a discoverable credential for this host). */
async function addKey(): Promise<void> {
  const a = account;
  const client = current();
  if (!client || !a) return;
  ($('add-key') as HTMLButtonElement).disabled = true;
  $('factor-status').textContent = 'touch your security key…';
  try {
    await client.enrollFactor(async (ch) => {
      const cred = (await navigator.credentials.create({
        publicKey: {
          challenge: buf(ch.challenge),
          rp: { name: 'pqroom', id: location.hostname },
          user: { id: buf(utf8(a.o.userId)), name: a.o.userId, displayName: a.o.userId },
          pubKeyCredParams: [
            { type: 'public-key', alg: -7 },
            { type: 'public-key', alg: -8 },
            { type: 'public-key', alg: -257 },
          ],
          authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
          attestation: 'none',
          timeout: 60_000,
        },
      })) as PublicKeyCredential | null;
      if (!cred) throw new Error('no credential was made');
      const r = cred.response as AuthenticatorAttestationResponse;
      const json = { id: cred.id, rawId: b64u(cred.rawId), type: 'public-key', clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: b64u(r.clientDataJSON), attestationObject: b64u(r.attestationObject), transports: r.getTransports() } };
      return { method: 'webauthn', webauthn: utf8(JSON.stringify(json)) };
    });
    $('factor-status').textContent = 'security key added: the relay will ask for it at every login';
  } catch (e) {
    $('factor-status').textContent = '';
    alarm('reject', 'REQ-LOG-030', `the security key was not added: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    ($('add-key') as HTMLButtonElement).disabled = false;
  }
}

/** RFC 4648 base32 without padding: how authenticator apps take a TOTP secret. */
function base32(b: Bytes): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let v = 0;
  for (const x of b) {
    v = (v << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += A[(v >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
  }
  if (bits > 0) out += A[(v << (5 - bits)) & 31]!;
  return out;
}

/** REQ-LOG-030: a TOTP secret drawn here, shown for the app, enrolled with the first code the app shows. */
let totpSecret: Bytes | undefined;
function showTotpSetup(): void {
  totpSecret = systemRng.bytes(20);
  const b32 = base32(totpSecret);
  $('totp-secret').textContent = b32;
  ($('totp-uri') as HTMLAnchorElement).href = `otpauth://totp/pqroom:${encodeURIComponent(account?.o.userId ?? '')}?secret=${b32}&issuer=pqroom`;
  $('totp-setup').hidden = false;
}
async function addTotp(): Promise<void> {
  const client = current();
  const secret = totpSecret;
  const code = ($('totp-code') as HTMLInputElement).value.trim();
  if (!client || !secret) return;
  try {
    await client.enrollFactor(async () => ({ method: 'totp', totpSecret: secret, code }));
    $('totp-setup').hidden = true;
    totpSecret = undefined;
    $('factor-status').textContent = 'authenticator app added: the relay will ask for its code at every login';
  } catch (e) {
    alarm('reject', 'REQ-LOG-030', `the authenticator app was not added: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function pinRelay(): Promise<void> {
  const res = await fetch('/relay-key');
  relayPk = fromHex((await res.text()).trim());
  $('relay-fp').textContent = relayKeyFingerprint(c.sha256(relayPk));
}

/** Creates the account (a new identity in a new vault) or unlocks it (REQ-KEY-010 to REQ-KEY-015). */
async function unlock(create: boolean): Promise<void> {
  const userId = ($('user') as HTMLInputElement).value.trim();
  const password = ($('password') as HTMLInputElement).value;
  $('account-error').textContent = '';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(userId)) {
    $('account-error').textContent = 'a user name is 1 to 64 letters, digits, dots, dashes or underscores';
    return;
  }
  if (create && password.length < 12) {
    $('account-error').textContent = 'choose a password of at least 12 characters';
    return;
  }
  for (const b of ['create-account', 'unlock'] as const) ($(b) as HTMLButtonElement).disabled = true;
  $('account-status').textContent = 'deriving the vault key (Argon2id, 64 MiB)…';
  try {
    const vaults = await openIdbVaultStore();
    const o: AccountOptions = { userId, password, profile, argon2: fastestArgon2id };
    const acc: Account = create ? await createAccount(c, systemRng, vaults, { ...o, kdf: DEFAULT_MIN_KDF }) : await openAccount(c, vaults, o);
    await relayReady;
    identity = acc.identity;
    me = toHex(identity.fp);
    account = { o, register: create, pin: relayPk ? loginPinOf(c, acc, relayPk) : undefined };
    $('account-status').textContent = 'deriving the login key (Argon2id, 64 MiB)…';
    if (create) {
      // REQ-LOG-001: the page makes the registration itself, with the salt it draws and the seed derived in WebAssembly
      const salt = systemRng.bytes(16);
      await deriveLogin(password, salt, DEFAULT_MIN_KDF);
      account.registration = register(loginKdf.provider, { bytes: () => salt }, userId, password, DEFAULT_MIN_KDF, acc.identity.publicKey, DEFAULT_MIN_KDF);
    } else if (account.pin) await deriveLogin(password, account.pin.salt, account.pin.kdf); // REQ-LOG-017: the login will use the pinned salt
    $('you').textContent = `${userId}: ${fingerprintEmoji(identity.fp)}  ${safetyString(identity.fp)}`;
    $('account').hidden = true;
    // REQ-KEY-016: the kept room opens only with a key derived from the open vault's identity
    for (let slot = 0; slot < MAX_ROOMS; slot++) {
      const store = await storeFor(slot);
      const kept = await store.load();
      if (!kept) continue;
      // REQ-MEM-026: a room this browser kept, resumed
      const room = addRoom(kept.role, slot, store, kept.state);
      const g = (kept.state.context as { group?: { epoch: number } }).group;
      timeline(room, `room resumed${g ? ` at epoch ${g.epoch}` : ''}`, 'event');
    }
    if (pageRooms[0]) select(pageRooms[0]);
    else $('setup').hidden = false;
  } catch (e) {
    $('account-error').textContent = e instanceof Error ? e.message : String(e);
    for (const b of ['create-account', 'unlock'] as const) ($(b) as HTMLButtonElement).disabled = false;
  } finally {
    $('account-status').textContent = '';
  }
}

let relayReady: Promise<void> = Promise.resolve();

function main(): void {
  $('profile').textContent = profile;
  const fromLink = /^#invite=(.+)$/.exec(location.hash);
  if (fromLink) ($('invite-in') as HTMLTextAreaElement).value = decodeURIComponent(fromLink[1]!);
  const ready = (relayReady = pinRelay().catch((e: unknown) => alarm('alarm', 'REQ-TRN-002', `could not read the relay key: ${String(e)}`)));
  $('create-account').addEventListener('click', () => void unlock(true));
  $('unlock').addEventListener('click', () => void unlock(false));
  const newRoom = async (role: 'owner' | 'member'): Promise<PageRoom | undefined> => {
    await ready;
    const slot = freeSlot();
    if (slot === undefined) {
      $('join-error').textContent = `one page holds at most ${MAX_ROOMS} rooms`;
      return undefined;
    }
    return addRoom(role, slot, await storeFor(slot));
  };
  $('create').addEventListener('click', () => {
    ($('create') as HTMLButtonElement).disabled = true;
    void newRoom('owner').then((room) => room?.client?.user({ type: 'user.create' }));
  });
  $('new-room').addEventListener('click', () => {
    $('room').hidden = true;
    $('setup').hidden = false;
    ($('create') as HTMLButtonElement).disabled = false;
    ($('join') as HTMLButtonElement).disabled = false;
    ($('invite-in') as HTMLTextAreaElement).value = '';
  });
  $('join').addEventListener('click', () => {
    const text = ($('invite-in') as HTMLTextAreaElement).value.trim();
    let invite;
    try {
      invite = inviteFromText(c, text);
    } catch (e) {
      $('join-error').textContent = `not an invite: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    $('join-error').textContent = '';
    ($('join') as HTMLButtonElement).disabled = true;
    void newRoom('member').then((room) => room?.client?.user({ type: 'user.join', invite }));
  });
  $('send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('text') as HTMLInputElement;
    const client = current();
    if (input.value === '' || !client) return;
    client.user({ type: 'user.send', text: input.value });
    input.value = '';
  });
  $('invite').addEventListener('click', () => current()?.user({ type: 'user.invite' }));
  $('add-key').addEventListener('click', () => void addKey());
  $('add-totp').addEventListener('click', showTotpSetup);
  $('totp-confirm').addEventListener('click', () => void addTotp());
  $('rotate').addEventListener('click', () => current()?.user({ type: 'user.rotate' }));
  $('roster-refresh').addEventListener('click', () => current()?.user({ type: 'user.roster' }));
  // log out: the connection ends and the page forgets the account, its keys and the room key; what
  // stays in IndexedDB (the vault, the kept room) opens only with the password (REQ-KEY-016)
  $('logout').addEventListener('click', () => {
    for (const r of pageRooms) r.client?.stop();
    location.reload();
  });
  $('leave').addEventListener('click', () => {
    const room = selected;
    if (!room || room.left) return;
    room.client?.stop();
    room.left = true;
    void room.store.clear();
    timeline(room, 'you left: this page forgot the room and its keys', 'removed');
    room.tab.textContent += ' (left)';
    select(room);
  });
  document.body.dataset['ready'] = 'yes';
}

main();
