/**
 * Relay conformance vectors (vectors/relay-conformance.md): the black-box cases of `pqroom
 * conformance` as a deterministic script per case, in plaintext. The transport is sealed per
 * connection with fresh keys, so what is fixed is what travels inside it: the principals' keys,
 * the inner messages each sends (hex) and, for every answer and push, its *shape* (the fields that
 * must match; the rest is free). A runner connects with the keys given, seals each inner message
 * with its own connection's keys, and compares shapes. This module parses a case into typed
 * steps and computes the shape of a received message. It sits in impl/ because both sides use
 * it: vectors/relay/kind.ts checks the file offline, simulator/live/conformance/vectors/ records
 * and replays it.
 */
import { createHash } from 'node:crypto';
import { fromHex, toHex, type Bytes } from './bytes.ts';
import { decode, type Json } from './codec.ts';
import { Ack, CompatRosterInfo, HistoryChunk, MailboxChunk, MailboxDelivery, MsgType, Reject, RoomDelivery, RosterInfo } from './messages/index.ts';
import type { Profile } from './suite.ts';

/** The kind name of the file (`kind` in its header). */
export const RELAY_KIND = 'relay-conformance';
/** The file's name in vectors/. */
export const RELAY_FILE = 'relay-conformance.json';

/**
 * The shape of an inner message: `type` (its name in spec 4.1), and by type `req_id`,
 * `requirement` (Reject), `index` (Ack, RoomDelivery, MailboxDelivery), `indexes`,
 * `next_index`, `complete` (HistoryChunk, MailboxChunk), `members` (a roster's count) and
 * `sha256` (of the whole message; absent for Ack and Reject, whose `detail` is free text).
 * An expected shape lists the fields that must match; a field it leaves out is free.
 */
export type Shape = { readonly type: string } & { readonly [field: string]: Json };

/** A principal of the script: its ML-DSA-65 key from `dsa_seed` (FIPS 204 KeyGen_internal). */
export interface Principal {
  readonly principal: number;
  readonly dsaSeed: Bytes;
  readonly identityPk: Bytes;
  /** hardened: the secret key (FIPS 204's encoding), for a library that cannot derive it from the seed. */
  readonly identitySk?: Bytes;
  /** SHA-256 of identity_pk (spec 5.1). */
  readonly memberId: Bytes;
}

/** How a connection's ClientAuth is spoiled (a test of REQ-TRN-004, REQ-TRN-006). */
export type AuthSpoil = { readonly xor: readonly { readonly at: number; readonly mask: Bytes }[] } | { readonly replace: Bytes };

/** An inner message to send, and when it carries a time: `expires_at` as now + `inMs`, u64 big-endian at `offset`. */
export interface Send {
  readonly conn: number;
  readonly inner: Bytes;
  readonly expiresAt?: { readonly offset: number; readonly inMs: number };
}

/** One step of a case. */
export type Step =
  | { readonly op: 'connect'; readonly conn: number; readonly principal: number; readonly auth?: AuthSpoil; readonly pin?: Bytes; readonly refused?: string }
  | { readonly op: 'send'; readonly send: Send; readonly answer?: Shape }
  | { readonly op: 'together'; readonly sends: readonly Send[]; readonly answers: readonly Shape[] }
  | { readonly op: 'raw'; readonly conn: number; readonly bytes: Bytes }
  | { readonly op: 'text'; readonly conn: number; readonly text: string }
  | { readonly op: 'sleep'; readonly ms: number }
  | { readonly op: 'expect'; readonly conn: number; readonly messages?: readonly Shape[]; readonly eachOf?: readonly Shape[]; readonly closed?: number };

/** One case: the requirement it checks, the principals it introduces, its steps. */
export interface RelayCase {
  readonly id: string;
  readonly profile: Profile;
  readonly requirement: string;
  readonly name: string;
  /** Why the case is no fixed script (it is reported as skipped); absent for a case to run. */
  readonly skipped?: string;
  readonly principals: readonly Principal[];
  readonly steps: readonly Step[];
}

const TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(MsgType).map(([k, v]) => [v, k]));

/** The name of a message type (spec 4.1), or `0xNN`. */
export function typeName(t: number | undefined): string {
  return TYPE_NAMES.get(t ?? -1) ?? `0x${(t ?? 0).toString(16).padStart(2, '0')}`;
}

/**
 * The shape of a received inner message (every field; an expectation leaves some out). Its
 * `sha256` is the vector file's digest of the message, as vectors/format.ts digests a case: no
 * hash of the protocol (those are labelled, REQ-CRY-007), so node:crypto's, not a provider's.
 */
export function shapeOf(m: Bytes): Shape {
  const type = typeName(m[3]);
  const sha256 = createHash('sha256').update(m).digest('hex');
  try {
    switch (m[3]) {
      case MsgType.Ack: {
        const a = decode(Ack, m);
        return { type, req_id: a.req_id, index: a.index };
      }
      case MsgType.Reject: {
        const r = decode(Reject, m);
        return { type, req_id: r.req_id, requirement: r.requirement };
      }
      case MsgType.HistoryChunk:
      case MsgType.MailboxChunk: {
        const h = m[3] === MsgType.HistoryChunk ? decode(HistoryChunk, m) : decode(MailboxChunk, m);
        return { type, req_id: h.req_id, indexes: h.entries.map((e) => e.index), next_index: h.next_index, complete: h.complete, sha256 };
      }
      case MsgType.RosterInfo:
      case MsgType.CompatRosterInfo: {
        const r = m[3] === MsgType.RosterInfo ? decode(RosterInfo, m) : decode(CompatRosterInfo, m);
        return { type, req_id: r.req_id, members: r.members.length, sha256 };
      }
      case MsgType.RoomDelivery:
        return { type, index: decode(RoomDelivery, m).index, sha256 };
      case MsgType.MailboxDelivery:
        return { type, index: decode(MailboxDelivery, m).entry.index, sha256 };
      case MsgType.KeysInfo:
        return { type, req_id: readU32(m, 4), sha256 };
    }
  } catch {
    return { type, undecodable: true, sha256 };
  }
  return { type, sha256 };
}

/**
 * The stream a received message belongs to (REQ-REL-035: in order within a stream, in no order
 * across streams): `room <room_id>` for a `RoomDelivery`, `mailbox` for a `MailboxDelivery`,
 * `other` for the rest (answers, which their steps take by `req_id`).
 */
export function streamOf(m: Bytes): string {
  try {
    if (m[3] === MsgType.RoomDelivery) return `room ${toHex(decode(RoomDelivery, m).room_id)}`;
  } catch {
    return 'other';
  }
  return m[3] === MsgType.MailboxDelivery ? 'mailbox' : 'other';
}

/** The fields of `expected` that `actual` does not match (none: it matches). */
export function shapeMismatch(expected: Shape, actual: Shape): string[] {
  return Object.keys(expected).filter((k) => JSON.stringify(expected[k]) !== JSON.stringify(actual[k]));
}

/** A shape in words, for a failure line. */
export function shapeText(s: Shape | undefined): string {
  if (s === undefined) return 'nothing';
  const rest = Object.entries(s)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k} ${k === 'sha256' ? String(v).slice(0, 16) : JSON.stringify(v)}`);
  return [s.type, ...rest].join(' ');
}

/** The big-endian u32 at `at`. */
export function readU32(m: Bytes, at: number): number {
  return ((m[at]! << 24) >>> 0) + (m[at + 1]! << 16) + (m[at + 2]! << 8) + m[at + 3]!;
}

// --- parsing a case (bytes parsed once, here)

type Obj = Readonly<Record<string, Json>>;

function obj(v: Json | undefined, where: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where} is not an object`);
  return v as Obj;
}
function arr(v: Json | undefined, where: string): readonly Json[] {
  if (!Array.isArray(v)) throw new Error(`${where} is not an array`);
  return v;
}
function int(v: Json | undefined, where: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`${where} is not an integer >= ${min}`);
  return v;
}
function str(v: Json | undefined, where: string): string {
  if (typeof v !== 'string') throw new Error(`${where} is not a string`);
  return v;
}
function hex(v: Json | undefined, where: string): Bytes {
  const s = str(v, where);
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error(`${where} is not lowercase hex`);
  return fromHex(s);
}
function shape(v: Json | undefined, where: string): Shape {
  const o = obj(v, where);
  str(o.type, `${where}.type`);
  return o as Shape;
}

function parseSend(o: Obj, where: string): Send {
  const inner = hex(o.inner, `${where}.inner`);
  if (o.expires_at === undefined) return { conn: int(o.conn, `${where}.conn`), inner };
  const e = obj(o.expires_at, `${where}.expires_at`);
  const offset = int(e.offset, `${where}.expires_at.offset`);
  if (offset + 8 > inner.length) throw new Error(`${where}.expires_at.offset is past the end of inner`);
  if (inner.subarray(offset, offset + 8).some((b) => b !== 0)) throw new Error(`${where}.expires_at: the 8 bytes at offset are not zero`);
  return { conn: int(o.conn, `${where}.conn`), inner, expiresAt: { offset, inMs: int(e.in_ms, `${where}.expires_at.in_ms`, -Number.MAX_SAFE_INTEGER) } };
}

function parseStep(v: Json, where: string): Step {
  const o = obj(v, where);
  const op = str(o.op, `${where}.op`);
  switch (op) {
    case 'connect': {
      let auth: AuthSpoil | undefined;
      if (o.auth !== undefined) {
        const a = obj(o.auth, `${where}.auth`);
        auth = a.replace !== undefined ? { replace: hex(a.replace, `${where}.auth.replace`) } : { xor: arr(a.xor, `${where}.auth.xor`).map((x, i) => ({ at: int(obj(x, `${where}.auth.xor[${i}]`).at, `${where}.auth.xor[${i}].at`), mask: hex((x as Obj).mask, `${where}.auth.xor[${i}].mask`) })) };
      }
      return {
        op,
        conn: int(o.conn, `${where}.conn`),
        principal: int(o.principal, `${where}.principal`),
        ...(auth ? { auth } : {}),
        ...(o.pin !== undefined ? { pin: hex(o.pin, `${where}.pin`) } : {}),
        ...(o.refused !== undefined ? { refused: str(o.refused, `${where}.refused`) } : {}),
      };
    }
    case 'send':
      return { op, send: parseSend(o, where), ...(o.answer !== undefined ? { answer: shape(o.answer, `${where}.answer`) } : {}) };
    case 'together': {
      const sends = arr(o.sends, `${where}.sends`).map((s, i) => parseSend(obj(s, `${where}.sends[${i}]`), `${where}.sends[${i}]`));
      const answers = arr(o.answers, `${where}.answers`).map((s, i) => shape(s, `${where}.answers[${i}]`));
      if (answers.length !== sends.length) throw new Error(`${where}: ${sends.length} sends but ${answers.length} answers`);
      return { op, sends, answers };
    }
    case 'raw': {
      const conn = int(o.conn, `${where}.conn`);
      if (o.fill !== undefined) {
        const fill = hex(o.fill, `${where}.fill`);
        if (fill.length !== 1) throw new Error(`${where}.fill is not one byte`);
        return { op, conn, bytes: new Uint8Array(int(o.length, `${where}.length`)).fill(fill[0]!) };
      }
      return { op, conn, bytes: hex(o.hex, `${where}.hex`) };
    }
    case 'text':
      return { op, conn: int(o.conn, `${where}.conn`), text: str(o.text, `${where}.text`) };
    case 'sleep':
      return { op, ms: int(o.ms, `${where}.ms`) };
    case 'expect':
      return {
        op,
        conn: int(o.conn, `${where}.conn`),
        ...(o.messages !== undefined ? { messages: arr(o.messages, `${where}.messages`).map((s, i) => shape(s, `${where}.messages[${i}]`)) } : {}),
        ...(o.each_of !== undefined ? { eachOf: arr(o.each_of, `${where}.each_of`).map((s, i) => shape(s, `${where}.each_of[${i}]`)) } : {}),
        ...(o.closed !== undefined ? { closed: int(o.closed, `${where}.closed`) } : {}),
      };
  }
  throw new Error(`${where}.op: unknown op ${op}`);
}

/** Parses one case of a relay-conformance file; throws an Error naming the field at fault. */
export function parseRelayCase(v: Obj): RelayCase {
  const profile = str(v.profile, 'profile');
  if (profile !== 'hardened' && profile !== 'compat') throw new Error(`profile: ${profile} is neither hardened nor compat`);
  const requirement = str(v.requirement, 'requirement');
  if (!/^(REQ|PROP|ATK)-[A-Z]*-?\d{2,3}$/.test(requirement)) throw new Error(`requirement: ${requirement} is not a requirement id`);
  return {
    id: str(v.id, 'id'),
    profile,
    requirement,
    name: str(v.name, 'name'),
    ...(v.skipped !== undefined ? { skipped: str(v.skipped, 'skipped') } : {}),
    principals: arr(v.principals, 'principals').map((p, i) => {
      const o = obj(p, `principals[${i}]`);
      return {
        principal: int(o.principal, `principals[${i}].principal`),
        dsaSeed: hex(o.dsa_seed, `principals[${i}].dsa_seed`),
        identityPk: hex(o.identity_pk, `principals[${i}].identity_pk`),
        ...(o.identity_sk !== undefined ? { identitySk: hex(o.identity_sk, `principals[${i}].identity_sk`) } : {}),
        memberId: hex(o.member_id, `principals[${i}].member_id`),
      };
    }),
    steps: arr(v.steps, 'steps').map((s, i) => parseStep(s, `steps[${i}]`)),
  };
}
