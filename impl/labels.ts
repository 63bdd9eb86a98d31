/**
 * Labelled hashing, key derivation and signature contexts (spec 3.2 to 3.6). Every label of the
 * registry of spec 3.6 is listed here by kind; a test compares these lists with the spec table.
 */
import { concat, utf8, type Bytes } from './bytes.ts';
import { encode, f, opaque, struct, u16 } from './codec.ts';
import type { CryptoProvider } from './crypto/provider.ts';
import { SUITE_ID } from './messages/types.ts';

/** Labels of kind "hash" (spec 3.6). */
export const HASH_LABELS = [
  'invite id',
  'roster',
  'epoch',
  'commit context',
  'join request',
  'welcome',
  'transport hello',
  'login transcript',
  'compat vault',
  'sim seed',
] as const;
/** Labels of kind "extract" (spec 3.6). */
export const EXTRACT_LABELS = ['epoch', 'commit entry', 'welcome', 'transport', 'login rekey', 'login', 'compat connection'] as const;
/** Labels of kind "expand" (spec 3.6). */
export const EXPAND_LABELS = [
  'init',
  'app key',
  'commit entry key',
  'join mac',
  'welcome key',
  'join confirm',
  'compat connection key',
  'compat welcome',
  'c2r key',
  'r2c key',
  'client confirm',
  'server confirm',
  'session',
  'fake salt',
  'fake key',
  'vault key',
  'room state key',
] as const;
/** Labels of kind "sig": ML-DSA context strings (spec 3.5, 3.6). */
export const SIG_LABELS = [
  'relay hello',
  'client auth',
  'kem cert',
  'join request',
  'welcome',
  'join confirm',
  'commit',
  'app message',
  'compat member add',
  'login challenge',
  'trust',
  'key update',
] as const;
/** The label of kind "drbg" (spec 3.7). */
export const DRBG_LABELS = ['drbg'] as const;

/** A hash label. */
export type HashLabel = (typeof HASH_LABELS)[number];
/** An extract label. */
export type ExtractLabel = (typeof EXTRACT_LABELS)[number];
/** An expand label. */
export type ExpandLabel = (typeof EXPAND_LABELS)[number];
/** A signature context label. */
export type SigLabel = (typeof SIG_LABELS)[number];

/** Full labels already encoded, by label (the registry's few dozen; never written to: callers get copies). */
const encoded = new Map<string, Bytes>();

/** The full label of `label`, encoded once; shared, so only read (labeledHash, labeledExtract and expandLabel copy it). */
function labelBytes(label: string): Bytes {
  let b = encoded.get(label);
  if (b === undefined) {
    b = utf8(`pqroom/v1 ${label}`);
    if (encoded.size < 256) encoded.set(label, b); // bounded: any string may be passed to fullLabel
  }
  return b;
}

/** The full label `ascii("pqroom/v1 ") || ascii(label)` (spec 3.2). */
export function fullLabel(label: string): Bytes {
  return labelBytes(label).slice();
}

/** `LabeledHash(label, data) = SHA-256(uint8(len(full label)) || full label || data)` (spec 3.3; REQ-CRY-007). */
export function labeledHash(c: CryptoProvider, label: HashLabel, data: Bytes): Bytes {
  const fl = labelBytes(label);
  return c.sha256(concat(Uint8Array.of(fl.length), fl, data));
}

/** `KdfLabel` (spec 3.4). */
export const KdfLabel = struct('KdfLabel', [
  f('length', u16),
  f('suite', u16),
  f('label', opaque(1, 255)),
  f('context', opaque(0, 4294967295)),
]);

/** `LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, full label || ikm)` (spec 3.4; REQ-CRY-006). */
export function labeledExtract(c: CryptoProvider, salt: Bytes, label: ExtractLabel, ikm: Bytes): Bytes {
  return c.hkdfExtract(salt, concat(labelBytes(label), ikm));
}

/** `ExpandLabel(secret, label, context, L)` (spec 3.4; REQ-CRY-006): HKDF-Expand with an encoded KdfLabel. */
export function expandLabel(c: CryptoProvider, secret: Bytes, label: ExpandLabel, context: Bytes, length: number): Bytes {
  const info = encode(KdfLabel, { length, suite: SUITE_ID, label: labelBytes(label), context });
  return c.hkdfExpand(secret, info, length);
}

/** The ML-DSA context string of a signature purpose (spec 3.5; REQ-CRY-009). */
export function sigContext(label: SigLabel): Bytes {
  return fullLabel(label);
}
