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
 * (REQ-LOG-017) goes into the vault. The login's own Argon2id runs in the crypto provider
 * (noble, synchronous: about a second at the interactive profile, the page waits meanwhile).
 *
 * The room survives a reload too: the role machine's state is kept after every step, sealed in
 * IndexedDB (`room-store.ts`, REQ-KEY-016), and a step's frames leave only once it is kept
 * (REQ-MEM-002); after the next login the page resumes the room (REQ-MEM-026) with a fresh
 * generator (REQ-CRY-015). Messages shown before the reload are not shown again (the machine
 * keeps keys and progress, not plaintexts).
 *
 * Not yet: leaving by a commit, and the second seed's session rules.
 */
import { fromHex, toHex, type Bytes } from '../../../impl/bytes.ts';
import { createAccount, loginPinOf, openAccount, pinLogin, type Account, type AccountOptions } from '../../../impl/accounts/keystore.ts';
import { openIdbVaultStore } from '../../../impl/accounts/vault-idb.ts';
import { fastestArgon2id } from '../../../impl/crypto/argon2.ts';
import { nobleCrypto } from '../../../impl/crypto/noble.ts';
import { fingerprintEmoji, relayKeyFingerprint, safetyString, verifySafetyString } from '../../../impl/fingerprint.ts';
import { inviteFromText } from '../../../impl/invite.ts';
import { expandLabel } from '../../../impl/labels.ts';
import type { Identity } from '../../../impl/protocol/identity.ts';
import { DEFAULT_MIN_KDF, type LoginPin } from '../../../impl/protocol/login.ts';
import { systemRng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import type { ClientCore } from '../../../machines/client-core.ts';
import type { Status } from '../../../machines/events.ts';
import type { PersistedRole } from '../../../machines/resume.ts';
import { startClientHost, type LiveClient } from '../client-host.ts';
import { browserDial } from './dial.ts';
import { openRoomStore, type RoomStore } from './room-store.ts';

const c = nobleCrypto;
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
let account: { readonly o: AccountOptions; readonly register: boolean; pin: LoginPin | undefined } | undefined;
let client: LiveClient | undefined;
let rooms: RoomStore | undefined;
let myRole: 'owner' | 'member' | undefined;
let relayPk: Bytes | undefined;
const verified = new Set<string>();

/** A line in the timeline: messages, joins, epochs, removals. */
function timeline(text: string, cls: string): void {
  const t = $('timeline');
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

function onStatus(s: Status): void {
  switch (s.kind) {
    case 'room-created':
      timeline(`room ${toHex(s.roomId).slice(0, 16)} created`, 'event');
      enterRoom('owner');
      break;
    case 'invite': {
      const link = `${location.origin}${location.pathname}#invite=${encodeURIComponent(s.text)}`;
      ($('invite-text') as HTMLTextAreaElement).value = s.text;
      const a = $('invite-link') as HTMLAnchorElement;
      a.href = link;
      a.textContent = 'invite link';
      $('invite-out').hidden = false;
      timeline('invite made (one use)', 'event');
      break;
    }
    case 'joined':
      timeline(`joined at epoch ${s.epoch}`, 'event');
      enterRoom('member');
      break;
    case 'admitted':
      timeline(`${short(toHex(s.memberId))} joined at epoch ${s.epoch}`, 'event');
      break;
    case 'epoch':
      timeline(`epoch ${s.epoch} (${s.reason})`, 'epoch');
      break;
    case 'removed':
      timeline(`you were removed at epoch ${s.epoch}`, 'removed');
      break;
    case 'join-failed':
      timeline(`join failed: ${s.reqId} ${s.detail}`, 'removed');
      ($('join') as HTMLButtonElement).disabled = false;
      break;
    case 'sent':
      timeline(`you: ${s.text}`, 'mine');
      break;
    case 'send-refused':
      timeline(`not sent (${s.reqId}): ${s.text}`, 'removed');
      break;
    default:
      break;
  }
  renderRoster();
}

function renderRoster(): void {
  const ctx = client?.context() as ClientCore | undefined;
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
      if (myRole === 'owner') {
        const rm = el('button', 'remove');
        rm.addEventListener('click', () => client?.user({ type: 'user.remove', memberId: r.member_id }));
        li.append(rm);
      }
    }
    list.append(li);
  }
}

function enterRoom(role: 'owner' | 'member'): void {
  $('setup').hidden = true;
  $('room').hidden = false;
  $('owner-tools').hidden = role !== 'owner';
}

function start(role: 'owner' | 'member', resume?: PersistedRole): LiveClient {
  myRole = role;
  const store = rooms;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  const a = account!;
  return startClientHost({
    name: role,
    role,
    url,
    crypto: c,
    profile,
    identity: identity!,
    dial: browserDial,
    // spec 9: registered on the first connection, logged in on every one; the password stays here
    login: { username: a.o.userId, password: a.o.password, register: a.register, ...(a.pin === undefined ? {} : { pin: a.pin }) },
    ...(relayPk === undefined ? {} : { relayPk }),
    ...(resume === undefined ? {} : { resume }),
    ...(store === undefined ? {} : { persist: (state: PersistedRole) => store.save({ role, state }) }),
    config: { syncMs: 2_000, gapGraceMs: 5_000 },
    on: {
      // one's own message is shown when sent ('sent'); its copy from the log is not shown again
      deliver: (d) => (d.sender === me ? undefined : timeline(`${short(d.sender)}: ${d.text}`, 'message')),
      status: onStatus,
      raise: (kind, reqId, detail) => alarm(kind, reqId, detail),
      connected: () => ($('conn').textContent = `connected, logged in as ${a.o.userId}`),
      // REQ-LOG-017: the account's salt and KDF parameters at this relay, kept in the vault
      pinned: (pin) => {
        a.pin = pin;
        if (relayPk) void openIdbVaultStore().then((v) => pinLogin(c, systemRng, v, a.o, relayPk!, { username: a.o.userId, salt: pin.salt, kdf: pin.kdf }));
      },
    },
  });
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
    $('you').textContent = `${userId}: ${fingerprintEmoji(identity.fp)}  ${safetyString(identity.fp)}`;
    $('account').hidden = true;
    // REQ-KEY-016: the kept room opens only with a key derived from the open vault's identity
    rooms = await openRoomStore(userId, expandLabel(c, identity.seed, 'room state key', new TextEncoder().encode(userId), 32), systemRng);
    const kept = await rooms.load();
    if (kept) {
      // REQ-MEM-026: the room this browser kept, resumed
      client = start(kept.role, kept.state);
      enterRoom(kept.role);
      const g = (kept.state.context as { group?: { epoch: number } }).group;
      timeline(`room resumed${g ? ` at epoch ${g.epoch}` : ''}`, 'event');
      renderRoster();
    } else $('setup').hidden = false;
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
  $('create').addEventListener('click', () => {
    void ready.then(() => {
      client = start('owner');
      client.user({ type: 'user.create' });
      ($('create') as HTMLButtonElement).disabled = true;
    });
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
    void ready.then(() => {
      client = start('member');
      client.user({ type: 'user.join', invite });
    });
  });
  $('send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('text') as HTMLInputElement;
    if (input.value === '' || !client) return;
    client.user({ type: 'user.send', text: input.value });
    input.value = '';
  });
  $('invite').addEventListener('click', () => client?.user({ type: 'user.invite' }));
  $('rotate').addEventListener('click', () => client?.user({ type: 'user.rotate' }));
  $('roster-refresh').addEventListener('click', () => client?.user({ type: 'user.roster' }));
  // log out: the connection ends and the page forgets the account, its keys and the room key; what
  // stays in IndexedDB (the vault, the kept room) opens only with the password (REQ-KEY-016)
  $('logout').addEventListener('click', () => {
    client?.stop();
    location.reload();
  });
  $('leave').addEventListener('click', () => {
    client?.stop();
    client = undefined;
    void rooms?.clear();
    timeline('you left: this page forgot the room and its keys', 'removed');
    $('send-form').hidden = true;
  });
  document.body.dataset['ready'] = 'yes';
}

main();
