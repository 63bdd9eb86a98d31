/**
 * Deterministic sample values of any codec, drawn from the deterministic generator (spec 3.7),
 * for message vectors. Unlike fast-check sampling, the output depends only on pqroom's own code.
 */
import { compareBytes, type Bytes } from '../impl/bytes.ts';
import { encode, type Codec } from '../impl/codec.ts';
import type { Rng } from '../impl/rng.ts';
import { NO_EPOCH } from '../impl/suite.ts';

/** `min`: every variable field at its minimum; `sample`: small random sizes and values. */
export type SampleMode = 'min' | 'sample';

function uint(rng: Rng, max: number): number {
  const b = rng.bytes(8);
  const v = (new DataView(b.buffer).getUint32(0) * 2 ** 21 + (new DataView(b.buffer).getUint32(4) >>> 11)) % (max + 1);
  return v;
}

const REPAIRS: Readonly<Record<string, (v: Record<string, unknown>) => Record<string, unknown>>> = {
  KdfParams: (v) =>
    v.algorithm === 'compat_sha256'
      ? { ...v, memory_kib: 0, iterations: 0, parallelism: 0 }
      : { ...v, memory_kib: 64, iterations: 1 + ((v.iterations as number) % 3), parallelism: 1 },
  KemCert: (v) => ({ ...v, version: 1 + ((v.version as number) % 5) }),
  AppMessage: (v) => ((v.seq as number) === 0 ? { ...v, prev_epoch: NO_EPOCH } : { ...v, prev_epoch: Math.min(v.prev_epoch as number, v.epoch as number) }),
  ClientAuth: (v) => ({ ...v, signature: (v.signature as Bytes).length === 0 ? v.signature : new Uint8Array(3309).fill(7) }),
  FetchHistory: (v) => ({ ...v, limit: 1 + ((v.limit as number) % 256) }),
  KeyUpdate: (v) => ({ ...v, urgent: (v.urgent as number) % 2, kem_cert: { ...(v.kem_cert as Record<string, unknown>), member_id: v.member_id } }),
  Reject: (v) => ({ ...v, requirement: 'REQ-REL-016' }),
};

/** A valid value of `codec`, deterministic in `rng` and `mode`. */
export function sampleValue<T>(codec: Codec<T>, rng: Rng, mode: SampleMode): T {
  return sample(codec as Codec<unknown>, rng, mode) as T;
}

function sample(codec: Codec<unknown>, rng: Rng, mode: SampleMode): unknown {
  const d = codec.desc;
  switch (d.k) {
    case 'uint': {
      if (mode === 'min') return d.bits === 32 ? 1 : 0;
      const max = d.bits === 64 ? 2 ** 40 : 2 ** d.bits - 1;
      return uint(rng, max);
    }
    case 'bool':
      return mode === 'sample' ? (rng.bytes(1)[0]! & 1) === 1 : false;
    case 'fixed':
      return rng.bytes(d.n);
    case 'opaque':
      return rng.bytes(mode === 'min' ? d.min : Math.min(d.max, d.min + uint(rng, 8)));
    case 'utf8': {
      const n = mode === 'min' ? d.min : Math.min(d.max, d.min + uint(rng, 8));
      // code points, not UTF-16 units: a lone surrogate has no UTF-8 encoding (it would come back as U+FFFD)
      const alphabet = [...'abcdefghijklmnopqrstuvwxyzé€😀 '];
      const chars: string[] = [];
      const size = () => new TextEncoder().encode(chars.join('')).length;
      while (size() < n) chars.push(alphabet[uint(rng, alphabet.length - 1)]!);
      while (size() > n) chars.pop();
      while (size() < n) chars.push('x');
      return chars.join('');
    }
    case 'enum': {
      const names = Object.keys(d.values);
      return mode === 'min' ? names[0] : names[uint(rng, names.length - 1)];
    }
    case 'list': {
      const n = mode === 'min' ? d.min : Math.min(d.max, d.min + uint(rng, 1));
      const items = Array.from({ length: n }, () => sample(d.of, rng, mode));
      if (d.sortedBy === undefined) return items;
      const od = d.of.desc;
      if (od.k !== 'struct') return items;
      const keyField = od.fields.find((x) => x.name === d.sortedBy)!;
      const key = (x: unknown): Bytes => encode(keyField.codec, (x as Record<string, unknown>)[d.sortedBy!]);
      const sorted = items.sort((a, b) => compareBytes(key(a), key(b)));
      return sorted.filter((x, i) => i === 0 || compareBytes(key(sorted[i - 1]), key(x)) < 0);
    }
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const field of d.fields) o[field.name] = sample(field.codec, rng, mode);
      const repair = REPAIRS[d.name];
      return repair ? repair(o) : o;
    }
  }
}
