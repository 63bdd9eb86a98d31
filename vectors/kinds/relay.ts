/**
 * The relay-conformance vector kind. Its cases are recorded, not computed: `pqroom vectors
 * generate` runs the conformance cases against the project's relay and writes them (the recorder
 * sits above the simulator, composed by cli.js). What `pqroom vectors verify` checks offline:
 * each case parses into its steps, every principal's key derives from its seed, every awaited
 * answer names the req_id its request carries, and no connection is opened twice.
 * Replaying a file against a relay is `pqroom conformance --relay URL --vectors FILE`.
 */
import { equalBytes, toHex } from '../../impl/bytes.ts';
import { nobleCrypto } from '../../impl/crypto/noble.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import type { VectorKind } from './kind.ts';
import { parseRelayCase, readU32, RELAY_FILE, RELAY_KIND, type Send, type Shape } from '../../impl/conformance-script.ts';

/** Keys derived from seeds, kept: the same principals are checked again and again. */
const derived = new Map<string, { pk: string; sk: string }>();

function checkAnswer(s: Send, answer: Shape | undefined, where: string): void {
  if (answer === undefined || answer.req_id === undefined || s.inner.length < 8) return;
  if (answer.req_id !== readU32(s.inner, 4)) throw new Error(`${where}: the answer names req_id ${String(answer.req_id)}, the request carries ${readU32(s.inner, 4)}`);
}

export const relayConformanceKind: VectorKind = {
  kind: RELAY_KIND,
  file: RELAY_FILE,
  description:
    'Relay conformance (spec 8): the black-box cases of pqroom conformance as deterministic scripts, recorded against the project relay. Per case: the principals it introduces (ML-DSA-65 key from dsa_seed), then steps: connect, send (an inner message in hex, sealed by the runner; with its answer\'s shape when awaited), together (concurrent requests, answers in any order), raw, text, sleep, expect (what else each connection received, and its close code). A shape lists the fields that must match; the rest is free. Cases run in file order per profile against one fresh relay; see vectors/relay-conformance.md.',
  verify(v) {
    const c = parseRelayCase(v);
    if (c.skipped !== undefined && (c.steps.length > 0 || c.principals.length > 0)) throw new Error('a skipped case has no principals and no steps');
    for (const p of c.principals) {
      const key = toHex(p.dsaSeed);
      let kp = derived.get(key);
      if (kp === undefined) {
        const pair = nobleCrypto.sigKeygen(p.dsaSeed);
        derived.set(key, (kp = { pk: toHex(pair.publicKey), sk: toHex(pair.secretKey) }));
      }
      if (kp.pk !== toHex(p.identityPk)) throw new Error(`principal ${p.principal}: identity_pk is not the key of dsa_seed`);
      if (p.identitySk !== undefined && kp.sk !== toHex(p.identitySk)) throw new Error(`principal ${p.principal}: identity_sk is not the key of dsa_seed`);
      if (c.profile === 'hardened' && p.identitySk === undefined) throw new Error(`principal ${p.principal}: a hardened principal needs identity_sk`);
      if (!equalBytes(fingerprint(nobleCrypto, p.identityPk), p.memberId)) throw new Error(`principal ${p.principal}: member_id is not SHA-256(identity_pk)`);
    }
    const opened = new Set<number>();
    c.steps.forEach((s, i) => {
      const where = `steps[${i}]`;
      if (s.op === 'connect') {
        if (opened.has(s.conn)) throw new Error(`${where}: connection ${s.conn} is opened twice`);
        opened.add(s.conn);
      } else if (s.op === 'send') checkAnswer(s.send, s.answer, where);
    });
  },
};
