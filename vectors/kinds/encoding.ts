/**
 * Vector kinds for the wire format (spec 2, 4, 10.4): every message encoding, malformed
 * encodings with the requirement that rejects them, invite text forms, fingerprint displays.
 */
import { concat, fromHex as b, toHex as h, utf8 } from '../../impl/bytes.ts';
import { decode, encode, encodeUnchecked, fromJson, toJson, type Codec, type Json, type StructCodec } from '../../impl/codec.ts';
import { nobleCrypto as c } from '../../impl/crypto/noble.ts';
import { DecodeError } from '../../impl/errors.ts';
import {
  compatVerificationPrompt,
  compatVerifySuffix,
  fingerprintEmoji,
  fingerprintHexGroups,
  safetyString,
} from '../../impl/fingerprint.ts';
import { inviteFromText, inviteToText } from '../../impl/invite.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import { Ack, AppContent, AppMessage, ClientAuth, Commit, FetchHistory, HistoryChunk, Invite, KemCert, KeyUpdate, MESSAGES, Register, Reject } from '../../impl/messages/index.ts';
import { deterministicRng } from '../../impl/rng.ts';
import { sampleValue } from '../sample.ts';
import { expectEqual, str, type VectorKind } from './kind.ts';

/**
 * Messages added after the vector files were first written (issue 28: key updates). They are
 * generated after all the others, each from the same shared generator, so that every existing
 * vector keeps its bytes.
 */
const ADDED_LATER: readonly string[] = ['PostKeyUpdate', 'KeyUpdate', 'FactorBegin', 'FactorChallenge', 'FactorResponse', 'FactorAccepted'];

/** Every message codec, the original ones in their order first, then {@link ADDED_LATER}. */
function messagesInVectorOrder(): [string, StructCodec<unknown>][] {
  const all = Object.entries(MESSAGES) as [string, StructCodec<unknown>][];
  return [...all.filter(([n]) => !ADDED_LATER.includes(n)), ...ADDED_LATER.map((n) => all.find(([m]) => m === n)!)];
}

const codecOf = (name: string): StructCodec<unknown> => {
  const codec = (MESSAGES as Record<string, StructCodec<unknown>>)[name];
  if (!codec) throw new Error(`unknown message ${name}`);
  return codec;
};

/** Positive encodings of every message (spec 4; REQ-ENC-015). */
export const messagesKind: VectorKind = {
  kind: 'messages',
  file: 'messages.json',
  description:
    'Every message of spec 4.1, twice: with every variable field at its minimum and with small random contents. encode(value) must equal encoding and decode(encoding) must equal value (spec 2, 4; REQ-ENC-015).',
  generate() {
    const rng = deterministicRng(utf8('vectors messages'));
    return messagesInVectorOrder().flatMap(([name, codec]) =>
      (['min', 'sample'] as const).map((mode) => {
        const value = sampleValue(codec, rng, mode);
        return { id: `${name}/${mode}`, message: name, value: toJson(codec, value), encoding: h(encode(codec, value)) };
      }),
    );
  },
  verify(v) {
    const codec = codecOf(str(v, 'message'));
    expectEqual('encoding', h(encode(codec, fromJson(codec, v.value as Json))), v.encoding);
    expectEqual('value', toJson(codec, decode(codec, b(str(v, 'encoding')))), v.value);
  },
};

function malformedCases(): Record<string, Json>[] {
  const rng = deterministicRng(utf8('vectors malformed'));
  const out: Record<string, Json>[] = [];
  const add = (id: string, message: string, bytes: Uint8Array, error: string, reason: string): void => {
    out.push({ id, message, encoding: h(bytes), error, reason });
  };
  // Generic malformations: every message cut right after its header; small messages (and one
  // large one, KemCert) also truncated by one byte, extended by one byte, and with a wrong
  // version, suite or type. The messages added later come at the end (existing vectors unchanged).
  const generic = (name: string, codec: StructCodec<unknown>): void => {
    const good = encode(codec, sampleValue(codec, rng, 'min'));
    // (a message whose body is one byte, FactorBegin, is whole at 5 bytes: its truncation is the case below)
    if (good.length > 5) add(`${name}/cut-after-header`, name, good.subarray(0, 5), 'REQ-ENC-006', 'truncated');
    if (good.length > 256 && name !== 'KemCert') return;
    add(`${name}/truncated`, name, good.subarray(0, good.length - 1), 'REQ-ENC-006', 'truncated');
    add(`${name}/trailing`, name, concat(good, new Uint8Array([0])), 'REQ-ENC-007', 'trailing');
    const v = good.slice();
    v[0] = 2;
    add(`${name}/version`, name, v, 'REQ-ENC-002', 'version');
    const s = good.slice();
    s[2] = 2;
    add(`${name}/suite`, name, s, 'REQ-ENC-003', 'suite');
    const t = good.slice();
    t[3] = 0xee;
    add(`${name}/unknown-type`, name, t, 'REQ-ENC-004', 'type');
    const u = good.slice();
    u[3] = codec.desc.type === 0x30 ? 0x31 : 0x30;
    add(`${name}/unexpected-type`, name, u, 'REQ-ENC-005', 'unexpected-type');
  };
  for (const [name, codec] of Object.entries(MESSAGES)) if (!ADDED_LATER.includes(name)) generic(name, codec);
  const minOf = <T>(codec: Codec<T>): T => sampleValue(codec, rng, 'min');
  // REQ-ENC-008: a length prefix beyond the field's maximum (Reject.detail<0..1024>).
  add('Reject/detail-too-long', 'Reject', concat(encode(Reject, { req_id: 1, requirement: 'REQ-REL-016', detail: '' }).subarray(0, -2), new Uint8Array([0x04, 0x01]), new Uint8Array(1025).fill(0x61)), 'REQ-ENC-008', 'length');
  // REQ-ENC-008: a length below the field's minimum (AppMessage.ciphertext<16..65535> of 15 bytes).
  add('AppMessage/ciphertext-too-short', 'AppMessage', encodeUnchecked(AppMessage, { ...minOf(AppMessage), ciphertext: new Uint8Array(15) }), 'REQ-ENC-008', 'length');
  // REQ-ENC-009: a list count beyond the maximum (HistoryChunk.entries<0..256>).
  const hc = encode(HistoryChunk, { req_id: 0, room_id: new Uint8Array(16), entries: [], next_index: 0, complete: true });
  const hcBad = hc.slice();
  hcBad.set([0x01, 0x01], 4 + 4 + 16);
  add('HistoryChunk/too-many-entries', 'HistoryChunk', hcBad, 'REQ-ENC-009', 'count');
  // REQ-ENC-010: an undefined enum value (Commit.reason = 9).
  const commit = encode(Commit, minOf(Commit));
  const badReason = commit.slice();
  badReason[4 + 16 + 4 + 32] = 9;
  add('Commit/reason-undefined', 'Commit', badReason, 'REQ-ENC-010', 'enum');
  // REQ-ENC-011: a boolean other than 0 or 1.
  const badBool = hc.slice();
  badBool[badBool.length - 1] = 2;
  add('HistoryChunk/complete-is-2', 'HistoryChunk', badBool, 'REQ-ENC-011', 'bool');
  // REQ-ENC-012: a uint64 above 2^53 - 1.
  add('Ack/index-2^53', 'Ack', concat(encode(Ack, { req_id: 7, index: 0 }).subarray(0, 8), new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 0])), 'REQ-ENC-012', 'uint64');
  // REQ-ENC-013: invalid UTF-8 in a utf8 field.
  add('AppContent/invalid-utf8', 'AppContent', concat(encode(AppContent, { sent_at: 1, text: '' }).subarray(0, -2), new Uint8Array([0, 2, 0xc3, 0x28])), 'REQ-ENC-013', 'utf8');
  add('AppContent/overlong-utf8', 'AppContent', concat(encode(AppContent, { sent_at: 1, text: '' }).subarray(0, -2), new Uint8Array([0, 2, 0xc0, 0xaf])), 'REQ-ENC-013', 'utf8');
  // REQ-ENC-014: a sorted list out of order, and with a duplicate.
  const base = minOf(Commit);
  const [lo, hi] = [{ member_id: new Uint8Array(32).fill(1) }, { member_id: new Uint8Array(32).fill(2) }];
  add('Commit/removes-descending', 'Commit', encodeUnchecked(Commit, { ...base, removes: [hi, lo] }), 'REQ-ENC-014', 'order');
  add('Commit/removes-duplicate', 'Commit', encodeUnchecked(Commit, { ...base, removes: [lo, lo] }), 'REQ-ENC-014', 'order');
  // REQ-ENC-017: field validity rules.
  const reg = minOf(Register);
  add('Register/argon2id-zero-iterations', 'Register', encodeUnchecked(Register, { ...reg, kdf: { algorithm: 'argon2id', memory_kib: 64, iterations: 0, parallelism: 1 } }), 'REQ-ENC-017', 'value');
  add('ClientAuth/signature-5-bytes', 'ClientAuth', encodeUnchecked(ClientAuth, { identity_pk: new Uint8Array(1952), signature: new Uint8Array(5) }), 'REQ-ENC-017', 'value');
  add('AppMessage/seq0-with-prev-epoch', 'AppMessage', encodeUnchecked(AppMessage, { ...minOf(AppMessage), seq: 0, prev_epoch: 3 }), 'REQ-ENC-017', 'value');
  add('FetchHistory/limit-0', 'FetchHistory', encodeUnchecked(FetchHistory, { req_id: 1, room_id: new Uint8Array(16), from_index: 0, limit: 0 }), 'REQ-ENC-017', 'value');
  add('KemCert/version-0', 'KemCert', encodeUnchecked(KemCert, { ...minOf(KemCert), version: 0 }), 'REQ-ENC-017', 'value');
  add('Reject/not-a-requirement-id', 'Reject', encodeUnchecked(Reject, { req_id: 1, requirement: 'oops', detail: '' }), 'REQ-ENC-017', 'value');
  // Empty input.
  add('Invite/empty', 'Invite', new Uint8Array(0), 'REQ-ENC-006', 'truncated');
  // Added later (issues 28 and 27), after everything else: the key update and second-factor messages, and KeyUpdate's validity rule.
  for (const name of ADDED_LATER) generic(name, codecOf(name));
  const ku = minOf(KeyUpdate);
  add('KeyUpdate/urgent-2', 'KeyUpdate', encodeUnchecked(KeyUpdate, { ...ku, urgent: 2 }), 'REQ-ENC-017', 'value');
  add('KeyUpdate/cert-of-another-member', 'KeyUpdate', encodeUnchecked(KeyUpdate, { ...ku, kem_cert: { ...ku.kem_cert, member_id: new Uint8Array(32).fill(9) } }), 'REQ-ENC-017', 'value');
  return out;
}

/** Malformed encodings and the requirement that rejects each (spec 2.3, 2.4). */
export const malformedKind: VectorKind = {
  kind: 'malformed',
  file: 'malformed.json',
  description:
    'Malformed encodings: every message cut after its header; small messages truncated and extended by one byte and with a wrong version, suite or type; one or more cases per canonical-encoding rule. Decoding must fail with exactly the requirement id given (spec 2.3, 2.4; REQ-ENC-002..014, REQ-ENC-017).',
  generate: malformedCases,
  verify(v) {
    const codec = codecOf(str(v, 'message'));
    let err: unknown;
    try {
      decode(codec, b(str(v, 'encoding')));
    } catch (e) {
      err = e;
    }
    if (!(err instanceof DecodeError)) throw new Error(`decoding ${err === undefined ? 'succeeded' : `threw ${String(err)}`}, expected ${String(v.error)}`);
    expectEqual('error', err.reqId, v.error);
    expectEqual('reason', err.reason, v.reason);
  },
};

/** Invite text forms (REQ-ENC-018). */
export const inviteTextKind: VectorKind = {
  kind: 'invite-text',
  file: 'invite-text.json',
  description: 'Invite text forms: valid ones with their decoded invite, and invalid ones (prefix, alphabet, padding, non-canonical base64url, checksum) that must be rejected with REQ-ENC-018 (spec 2.6, 6.3).',
  generate() {
    const rng = deterministicRng(utf8('vectors invite text'));
    const valid = (['hardened', 'compat'] as const).map((profile, i) => {
      const invite: Invite = { profile, room_id: rng.bytes(16), owner_fp: rng.bytes(32), token: rng.bytes(32), expires_at: profile === 'hardened' ? 1_790_000_000_000 : 0, relay: i === 0 ? 'ws://127.0.0.1:8080' : '' };
      return { id: `valid/${profile}`, text: inviteToText(c, invite), invite: toJson(Invite, invite), error: '' };
    });
    const t = valid[0]!.text as string;
    const flip = t.slice(0, 30) + (t[30] === 'A' ? 'B' : 'A') + t.slice(31);
    const bad = [
      ['wrong-prefix', t.replace('pqroom-invite:1:', 'pqroom-invite:9:')],
      ['padding', `${t}=`],
      ['foreign-character', `${t.slice(0, -1)}+`],
      ['non-canonical-trailing-bits', `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`],
      ['changed-character', flip],
      ['too-short', 'pqroom-invite:1:AAA'],
    ];
    return [...valid, ...bad.map(([id, text]) => ({ id: `invalid/${id}`, text: text!, invite: null, error: 'REQ-ENC-018' }))];
  },
  verify(v) {
    const text = str(v, 'text');
    if (v.error === '') {
      expectEqual('invite', toJson(Invite, inviteFromText(c, text)), v.invite);
      expectEqual('text', inviteToText(c, fromJson(Invite, v.invite as Json)), text);
      return;
    }
    let err: unknown;
    try {
      inviteFromText(c, text);
    } catch (e) {
      err = e;
    }
    expectEqual('error', err instanceof DecodeError ? err.reqId : 'accepted', v.error);
  },
};

/** Fingerprints and every display derived from them (spec 10.4, 10.5). */
export const fingerprintsKind: VectorKind = {
  kind: 'fingerprints',
  file: 'fingerprints.json',
  description:
    'Identity key from a seed, its fingerprint (SHA-256), the hex groups, the 8 emoji, the hardened 128-bit safety string and the compat prompt and suffix (spec 5.1, 10.4, 10.5; REQ-KS-001, REQ-KEY-020, REQ-KEY-021, REQ-KEY-030, REQ-KEY-031).',
  generate() {
    const rng = deterministicRng(utf8('vectors fingerprints'));
    return [0, 1, 2, 3].map((i) => {
      const seed = rng.bytes(32);
      const pk = c.sigKeygen(seed).publicKey;
      const fp = fingerprint(c, pk);
      return {
        id: `fingerprint/${i}`,
        identity_seed: h(seed),
        identity_pk_sha256: h(fp),
        hex_groups: fingerprintHexGroups(fp),
        emoji: fingerprintEmoji(fp),
        safety_string: safetyString(fp),
        compat_prompt: compatVerificationPrompt(fp),
        compat_suffix: h(fp).slice(59),
      };
    });
  },
  verify(v) {
    const fp = fingerprint(c, c.sigKeygen(b(str(v, 'identity_seed'))).publicKey);
    expectEqual('identity_pk_sha256', h(fp), v.identity_pk_sha256);
    expectEqual('hex_groups', fingerprintHexGroups(fp), v.hex_groups);
    expectEqual('emoji', fingerprintEmoji(fp), v.emoji);
    expectEqual('safety_string', safetyString(fp), v.safety_string);
    expectEqual('compat_prompt', compatVerificationPrompt(fp), v.compat_prompt);
    expectEqual('compat_suffix accepted', compatVerifySuffix(fp, str(v, 'compat_suffix')), true);
  },
};
