/**
 * The web chat (issue 27, first part): a room in a browser, on the very machines of `machines/`
 * that the simulator and `pqroom demo` run, hosted by the same client host (`../client-host.ts`)
 * over the browser's WebSocket. The page pins the relay key it is served (trust on first use,
 * W12), creates a room or joins one with an invite (text or link: the invite rides in the URL's
 * fragment, which the browser never sends to the server), chats, shows the roster with each
 * member's emoji and the full comparison string of spec 10, and shows every alarm and refused
 * input with its requirement id. Only what the member machine delivered is shown as a message:
 * a refused input appears in the alarm list, never in the conversation. Peer text is put into
 * the page as text (`textContent`), never as markup.
 *
 * Not yet: login (spec 9) and the vault (keys are this page's only: a reload starts afresh).
 */
import { fromHex, toHex, type Bytes } from '../../../impl/bytes.ts';
import { nobleCrypto } from '../../../impl/crypto/noble.ts';
import { fingerprintEmoji, safetyString, verifySafetyString } from '../../../impl/fingerprint.ts';
import { inviteFromText } from '../../../impl/invite.ts';
import { createIdentity } from '../../../impl/protocol/identity.ts';
import { deterministicRng, systemRng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import type { ClientCore } from '../../../machines/client-core.ts';
import type { Status } from '../../../machines/events.ts';
import { startClientHost, type LiveClient } from '../client-host.ts';
import { browserDial } from './dial.ts';

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
const identity = createIdentity(c, deterministicRng(systemRng.bytes(32)));
const me = toHex(identity.fp);
let client: LiveClient | undefined;
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

function start(role: 'owner' | 'member'): LiveClient {
  myRole = role;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  return startClientHost({
    name: role,
    role,
    url,
    crypto: c,
    profile,
    identity,
    dial: browserDial,
    ...(relayPk === undefined ? {} : { relayPk }),
    config: { syncMs: 2_000, gapGraceMs: 5_000 },
    on: {
      deliver: (d) => timeline(`${short(d.sender)}: ${d.text}`, 'message'),
      status: onStatus,
      raise: (kind, reqId, detail) => alarm(kind, reqId, detail),
      connected: () => ($('conn').textContent = 'connected'),
    },
  });
}

async function pinRelay(): Promise<void> {
  const res = await fetch('/relay-key');
  relayPk = fromHex((await res.text()).trim());
  $('relay-fp').textContent = fingerprintEmoji(c.sha256(relayPk));
}

function main(): void {
  $('you').textContent = `${fingerprintEmoji(identity.fp)}  ${safetyString(identity.fp)}`;
  $('profile').textContent = profile;
  const fromLink = /^#invite=(.+)$/.exec(location.hash);
  if (fromLink) ($('invite-in') as HTMLTextAreaElement).value = decodeURIComponent(fromLink[1]!);
  const ready = pinRelay().catch((e: unknown) => alarm('alarm', 'REQ-TRN-002', `could not read the relay key: ${String(e)}`));
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
  $('leave').addEventListener('click', () => {
    client?.stop();
    client = undefined;
    timeline('you left: this page forgot the room and its keys', 'removed');
    $('send-form').hidden = true;
  });
  document.body.dataset['ready'] = 'yes';
}

main();
