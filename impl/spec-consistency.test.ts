/**
 * The spec is the source of truth: these tests read `spec/` and check that the codecs, the
 * label registry, the size table and the emoji table agree with it, entry by entry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specEnums, specStructs, specTable } from '../reports/spec.ts';
import { encode, specStructLines, type Codec, type StructCodec } from './codec.ts';
import { EMOJI } from './fingerprint.ts';
import { CommitContext, GroupContext } from './keyschedule.ts';
import { DRBG_LABELS, EXPAND_LABELS, EXTRACT_LABELS, HASH_LABELS, KdfLabel, SIG_LABELS } from './labels.ts';
import { ENUMS, MESSAGES, MsgType, SUB_STRUCTS } from './messages/index.ts';

const DERIVATION_STRUCTS: readonly StructCodec<unknown>[] = [KdfLabel as StructCodec<unknown>, GroupContext, CommitContext];

describe('REQ-ENC-015 the struct blocks of the spec are exactly the codecs', () => {
  const spec = specStructs();
  const codecs = new Map<string, StructCodec<unknown>>([
    ...Object.entries(MESSAGES),
    ...[...SUB_STRUCTS, ...DERIVATION_STRUCTS].map((s) => [s.desc.name, s] as [string, StructCodec<unknown>]),
  ]);

  it('should define every codec in the spec, and nothing else', () => {
    const inSpec = new Set(spec.map((s) => s.name).filter((n) => n !== 'Header'));
    expect([...inSpec].sort()).toEqual([...codecs.keys()].sort());
  });

  for (const s of spec.filter((x) => x.name !== 'Header')) {
    it(`should match ${s.name} (${s.file}) field by field`, () => {
      const codec = codecs.get(s.name);
      expect(codec, `no codec for ${s.name}`).toBeDefined();
      expect(s.fields).toEqual(specStructLines(codec!));
      expect(s.type).toBe(codec!.desc.type);
    });
  }

  it('should give every message the type of the registry table', () => {
    const rows = specTable('04-wire-format.md', ['type', 'message']);
    const table = Object.fromEntries(rows.map((r) => [r.message!, parseInt(r.type!.replace(/`/g, ''), 16)]));
    expect(table).toEqual(MsgType);
  });

  it('should define the enums of the codecs', () => {
    const enums = specEnums();
    for (const e of ENUMS as readonly Codec<string>[]) {
      const d = e.desc;
      if (d.k !== 'enum') throw new Error('not an enum');
      expect(enums.get(d.name)).toEqual(d.values);
    }
    expect(enums.size).toBe(ENUMS.length);
  });
});

describe('spec 4.11 message sizes', () => {
  const zeroValue = (codec: Codec<unknown>): unknown => {
    const d = codec.desc;
    switch (d.k) {
      case 'uint':
        return d.bits === 32 ? 1 : 0;
      case 'bool':
        return false;
      case 'fixed':
        return new Uint8Array(d.n);
      case 'opaque':
        return new Uint8Array(d.min);
      case 'utf8':
        return 'x'.repeat(d.min);
      case 'enum':
        return Object.keys(d.values)[0];
      case 'list':
        return [];
      case 'struct':
        return Object.fromEntries(d.fields.map((x) => [x.name, zeroValue(x.codec)]));
    }
  };
  for (const row of specTable('04-wire-format.md', ['message', 'bytes'])) {
    it(`should encode a ${row.message} in ${row.bytes} bytes`, () => {
      const codec = MESSAGES[row.message as keyof typeof MESSAGES];
      expect(encode(codec, zeroValue(codec)).length).toBe(Number(row.bytes));
    });
  }
});

describe('REQ-CRY-008 the label registry of spec 3.6 is exactly the labels of the code', () => {
  const rows = specTable('03-primitives.md', ['label', 'kind']);
  const byKind = (kind: string): string[] => rows.filter((r) => r.kind === kind).map((r) => r.label!.replace(/`/g, '')).sort();
  it('should list the hash labels', () => expect(byKind('hash')).toEqual([...HASH_LABELS].sort()));
  it('should list the extract labels', () => expect(byKind('extract')).toEqual([...EXTRACT_LABELS].sort()));
  it('should list the expand labels', () => expect(byKind('expand')).toEqual([...EXPAND_LABELS].sort()));
  it('should list the signature contexts', () => expect(byKind('sig')).toEqual([...SIG_LABELS].sort()));
  it('should list the drbg label', () => expect(byKind('drbg')).toEqual([...DRBG_LABELS].sort()));
  it('should use no other kind', () => expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['hash', 'extract', 'expand', 'sig', 'drbg'])));
});

describe('REQ-KEY-021 the emoji table of spec 10.4 is the table of the code', () => {
  it('should match all 256 cells', () => {
    const rows = specTable('10-keystore-trust.md', ['r', '0', 'f']);
    expect(rows).toHaveLength(16);
    for (const row of rows) {
      const r = parseInt(row.r!, 16);
      for (let i = 0; i < 16; i++) expect(row[i.toString(16)]).toBe(EMOJI[16 * r + i]);
    }
  });
});

describe('REQ-CRY-007 every hash is labelled, but the five the spec names', () => {
  it('should call plain SHA-256 in impl/ only for the fingerprint, the compat login key, the invite checksum, the trust record of a KEM certificate, the relay request digest (REQ-REL-004), and inside LabeledHash', () => {
    const allowed: Record<string, number> = { 'labels.ts': 1, 'keyschedule.ts': 2, 'invite.ts': 2, 'accounts/trust.ts': 1, 'protocol/relay-state.ts': 1 };
    const found: Record<string, number> = {};
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !path.includes('/crypto/')) {
          const n = (readFileSync(path, 'utf8').match(/\.sha256\(/g) ?? []).length;
          if (n > 0) found[relative(import.meta.dirname, path)] = n;
        }
      }
    };
    walk(import.meta.dirname);
    expect(found).toEqual(allowed);
    // and the two in keyschedule.ts are the fingerprint and the compat login key
    const ks = readFileSync(join(import.meta.dirname, 'keyschedule.ts'), 'utf8');
    expect(ks).toMatch(/export function fingerprint\([^)]*\): Bytes \{\n  return c\.sha256\(identityPk\);/);
    expect(ks).toMatch(/export function compatLoginKey\([^)]*\): Bytes \{\n  return c\.sha256\(concat\(ss1, ss2\)\);/);
  });
});
