/**
 * Every bound of spec 4, reached and crossed (issue 30): for every length- or count-bounded field
 * of every structure, the length or count at the field's maximum and minimum passes the range
 * check and one past either is refused with the typed error (REQ-ENC-008 for a byte string or a
 * text, REQ-ENC-009 for a list); a whole value with the field at its maximum round-trips, or, when
 * that maximum lies past the 16 MiB message limit, the field at the largest size the limit
 * allows is accepted and one byte more is refused with REQ-ENC-019. Targeted cases, one of each,
 * not generated runs: a 16 MiB field is built once per structure, not on every property run.
 * The generated values of the property tests reach the cheap maxima on their own (last test).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryOf } from '../../adversary/arbitrary.ts';
import { concat, utf8 } from '../bytes.ts';
import { decode, encode, encodePrefix, encodeUnchecked, list, opaque, prefixWidth, text, valuesEqual, type Codec, type StructCodec } from '../codec.ts';
import { DecodeError } from '../errors.ts';
import { AppContent, Commit, MESSAGES, SUB_STRUCTS } from './index.ts';
import { MAX_MESSAGE_BYTES } from './types.ts';

const ALL: readonly StructCodec<unknown>[] = [...Object.values(MESSAGES), ...SUB_STRUCTS];
const SMALL = { maxExtraBytes: 0, maxExtraElements: 0, maxBoundBytes: 0 };

/** The requirement id `decode` refuses `bytes` with, or undefined when it accepts them. */
function rejection(codec: Codec<unknown>, bytes: Uint8Array): string | undefined {
  try {
    decode(codec, bytes);
    return undefined;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return e.reqId;
  }
}

/** A length or count prefix of `width` bytes. */
function prefix(width: number, n: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = width - 1, x = n; i >= 0; i--, x = Math.floor(x / 256)) out[i] = x % 256;
  return out;
}

/** One valid value of `codec`, drawn small. */
const sample = <T,>(codec: Codec<T>, seed = 1): T => fc.sample(arbitraryOf(codec, SMALL), { seed, numRuns: 1 })[0]!;

/** Fields whose structure's validity rule (REQ-ENC-017) fixes their form: a valid value of `n` bytes. */
const FORMS: Readonly<Record<string, (n: number) => unknown>> = {
  'Reject.requirement': (n) => `REQ-${'A'.repeat(Math.max(1, n - 8))}-001`,
};

/** A value of a bounded field with exactly `n` bytes or elements. */
function fieldOfSize(c: Codec<unknown>, n: number, where?: string): unknown {
  const form = where === undefined ? undefined : FORMS[where];
  if (form) return form(n);
  const d = c.desc;
  if (d.k === 'opaque') return sample(opaque(n, n));
  if (d.k === 'utf8') return sample(text(n, n));
  if (d.k === 'list') return sample(d.sortedBy === undefined ? list(d.of, n, n) : list(d.of, n, n, d.sortedBy as never));
  throw new Error(`not a bounded field: ${d.k}`);
}

interface Bounded {
  readonly struct: StructCodec<unknown>;
  readonly field: string;
  readonly codec: Codec<unknown>;
  readonly kind: 'opaque' | 'utf8' | 'list';
  readonly min: number;
  readonly max: number;
}

const BOUNDED: readonly Bounded[] = ALL.flatMap((s) =>
  s.desc.fields.flatMap((f): Bounded[] => {
    const d = f.codec.desc;
    return d.k === 'opaque' || d.k === 'utf8' || d.k === 'list' ? [{ struct: s, field: f.name, codec: f.codec, kind: d.k, min: d.min, max: d.max }] : [];
  }),
);
const name = (b: Bounded): string => `${b.struct.desc.name}.${b.field}<${b.min}..${b.max}>`;

describe('REQ-ENC-008 REQ-ENC-009 every length and count bound of spec 4, at the limit and one past', () => {
  it('finds the bounded fields of every structure (all 40-odd of them, the 16 MiB payloads and the 1,000-member rosters among them)', () => {
    expect(BOUNDED.length).toBeGreaterThan(40);
    expect(BOUNDED.map(name)).toEqual(expect.arrayContaining(['Send.payload<1..16777216>', 'RosterInfo.members<1..1000>', 'Reject.detail<0..1024>', 'AppContent.text<0..65000>']));
  });

  for (const b of BOUNDED) {
    const err = b.kind === 'list' ? 'REQ-ENC-009' : 'REQ-ENC-008';
    it(`${err} ${name(b)}: the range check takes ${b.min} and ${b.max} and refuses one past either`, () => {
      const base = sample(b.struct);
      const head = encodePrefix(b.struct, base as never, b.field as never);
      const width = prefixWidth(b.max);
      const at = (n: number): string | undefined => rejection(b.struct, concat(head, prefix(width, n)));
      // at either bound the range check passes; the input then ends (a truncation), unless the field is empty and last
      for (const n of [b.min, b.max]) expect([undefined, 'REQ-ENC-006', 'REQ-ENC-017'], `${n}`).toContain(at(n));
      if (b.max + 1 < 2 ** (8 * width)) expect(at(b.max + 1)).toBe(err);
      else expect(b.max, 'the prefix itself cannot say more than the maximum').toBe(2 ** (8 * width) - 1);
      if (b.min > 0) expect(at(b.min - 1)).toBe(err);
    });
  }
});

describe('REQ-ENC-015 REQ-ENC-019 every field at its maximum: a whole value round-trips, or the 16 MiB limit bounds it', () => {
  for (const b of BOUNDED) {
    it(`${name(b)} at its maximum`, () => {
      const base = sample(b.struct) as Record<string, unknown>;
      const rest = encodeUnchecked(b.struct, { ...base, [b.field]: fieldOfSize(b.codec, b.min) }).length;
      if (b.kind === 'list') {
        const perElement = encodeUnchecked(b.struct, { ...base, [b.field]: fieldOfSize(b.codec, b.min + 1) }).length - rest;
        if (rest + perElement * (b.max - b.min) > MAX_MESSAGE_BYTES) {
          // a full list is past the message limit (65,535 signed trust statements): only the count range above can be checked
          expect(`${b.struct.desc.name}.${b.field}`).toBe('VaultContents.trusted');
          return;
        }
      }
      const full = { ...base, [b.field]: fieldOfSize(b.codec, b.max, `${b.struct.desc.name}.${b.field}`) };
      if (b.kind === 'list' || rest + (b.max - b.min) <= MAX_MESSAGE_BYTES) {
        const bytes = encode(b.struct, full);
        expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
        expect(valuesEqual(decode(b.struct, bytes), full)).toBe(true);
        return;
      }
      // the field's maximum lies past 16 MiB: the largest field the limit allows is taken, one byte more refused
      const fits = b.min + (MAX_MESSAGE_BYTES - rest);
      const largest = encode(b.struct, { ...base, [b.field]: fieldOfSize(b.codec, fits) });
      expect(largest.length).toBe(MAX_MESSAGE_BYTES);
      expect(rejection(b.struct, largest)).toBeUndefined();
      const over = b.kind === 'utf8' ? utf8('x') : new Uint8Array(1);
      const past = encode(b.struct, { ...base, [b.field]: b.kind === 'utf8' ? (fieldOfSize(b.codec, fits) as string) + 'x' : concat(fieldOfSize(b.codec, fits) as Uint8Array, over) });
      expect(past.length).toBe(MAX_MESSAGE_BYTES + 1);
      expect(rejection(b.struct, past)).toBe('REQ-ENC-019');
    }, 60_000);
  }
});

describe('REQ-ENC-015 generated values reach the cheap maxima on their own', () => {
  it('draws texts, byte strings and lists at their maximum as well as at their minimum (AppContent.text<0..65000>, Commit.removes<0..1000>)', () => {
    const texts = fc.sample(arbitraryOf(AppContent), { seed: 3, numRuns: 40 }).map((x) => utf8(x.text).length);
    expect(texts).toContain(65_000);
    expect(Math.min(...texts)).toBeLessThanOrEqual(48);
    const removes = fc.sample(arbitraryOf(Commit), { seed: 3, numRuns: 40 }).map((x) => x.removes.length);
    expect(removes).toContain(1000);
    expect(removes).toContain(0);
  });
});
