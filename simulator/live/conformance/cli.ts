/**
 * `pqroom conformance --relay ws://HOST:PORT [--relay-key HEX] [--profile P] [--json FILE]`. The
 * command line (and the --json and --vectors files) is checked before the crypto, the suite and its
 * live clients are loaded, so that a mistaken invocation or `--help` does not load them (issue 24).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Bytes } from '../../../impl/bytes.ts';
import type { Profile } from '../../../impl/suite.ts';
import { checkInputFile, checkOutputFile, CliError, parseCommand } from '../../../impl/cli-args.ts';
import type { Json } from '../../../impl/codec.ts';
import type { RelayCase } from '../../../impl/conformance-script.ts';

const HELP = `usage: pqroom conformance --relay ws://HOST:PORT [--relay-key HEX] [--profile hardened|compat]
                          [--json FILE] [--only TEXT] [--seed HEX | --vectors FILE]

Audits a relay over the wire: scripted cases, each naming the requirement of spec/ it checks
(the handshake, the authorization matrix, rooms, invites, joins, commits, sends, history,
mailboxes, retransmissions, malformed frames, the rate limit, the login). It connects as several
principals and never reads the relay's database or process. One line per case (pass, FAIL
with what was expected and what came back, skip for a case of the other profile), then
'N passed, N failed, N skipped'. Exit 0 only when nothing failed.

  --relay URL      the relay (ws:// or wss://)
  --relay-key HEX  hardened: the relay's ML-DSA public key to pin (3904 hex characters);
                   without it the key is fetched from URL/relay-key (trust on first use, W12)
  --profile P      the profile the relay serves: hardened (default) or compat
  --json FILE      also write the results as JSON
  --only TEXT      only the cases whose requirement id or name contains TEXT
  --seed HEX       seed of the principals and room ids (default: random; printed)
  --vectors FILE   replay the relay conformance vectors instead (vectors/relay-conformance.json:
                   the same cases as data, fixed keys and requests; vectors/relay-conformance.md);
                   the relay must be fresh (an empty database), since the room ids are fixed
  -h, --help       this text

The relay must be fresh enough to accept new rooms and run with its default rate limit
(200 requests/s, burst 400). A case runs at most 30 s.`;

/** What a reader makes of a vector file: the file, or the problems of its form and digests. */
export interface VectorFileRead {
  readonly file?: { readonly kind: string; readonly cases: readonly Readonly<Record<string, Json>>[] };
  readonly problems: readonly { readonly message: string }[];
}
/**
 * Reads a vector file and checks its form and digests (vectors/format.ts's parseVectorFile, which
 * cli.js hands in, loading it only when --vectors is given: vectors/ sits beside this layer).
 */
export type VectorFileReader = (text: string) => VectorFileRead | Promise<VectorFileRead>;

/** A reader that checks only that the text is JSON with cases (what runs without cli.js). */
const plainReader: VectorFileReader = (text) => {
  try {
    const file = JSON.parse(text) as { kind: string; cases: Readonly<Record<string, Json>>[] };
    return Array.isArray(file.cases) ? { file, problems: [] } : { problems: [{ message: 'no cases array' }] };
  } catch (e) {
    return { problems: [{ message: `not valid JSON: ${(e as Error).message}` }] };
  }
};

/** `pqroom conformance`. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log, readVectorFile: VectorFileReader = plainReader): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`pqroom conformance: ${msg}; see pqroom conformance --help\n`);
    return 2;
  };
  // one parser for every command (util.parseArgs, strict): unknown options and missing values named
  let p;
  try {
    p = parseCommand('conformance', argv, { relay: { type: 'string' }, 'relay-key': { type: 'string' }, profile: { type: 'string' }, json: { type: 'string' }, only: { type: 'string' }, seed: { type: 'string' }, vectors: { type: 'string' } });
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`pqroom conformance: ${e.message}\n`);
      return e.code;
    }
    throw e;
  }
  if (p.help) {
    out(HELP);
    return 0;
  }
  const url = p.str('relay');
  let keyHex = p.str('relay-key')?.trim();
  const json = p.str('json');
  const only = p.str('only');
  const profileArg = p.str('profile') ?? 'hardened';
  if (profileArg !== 'hardened' && profileArg !== 'compat') return fail(`--profile must be hardened or compat, not ${profileArg}`);
  const profile: Profile = profileArg;
  const seedArg = p.str('seed');
  if (seedArg !== undefined && !/^[0-9a-f]{64}$/i.test(seedArg)) return fail('--seed needs 64 hex characters');
  const vectorsFile = p.str('vectors');
  if (vectorsFile !== undefined && seedArg !== undefined) return fail('--seed and --vectors exclude each other (the vectors fix their keys)');
  if (url === undefined) return fail('--relay ws://HOST:PORT is required');
  if (!/^wss?:\/\/[^/]+/.test(url)) return fail(`--relay must be a ws:// or wss:// URL, not ${url}`);
  if (profile === 'hardened' && keyHex !== undefined && !/^[0-9a-fA-F]{3904}$/.test(keyHex)) return fail('--relay-key needs the 3904 hex characters of the ML-DSA-65 key');
  // the files: the output first (nothing is written before the run), then the vectors' form
  if (json !== undefined) {
    try {
      checkOutputFile('--json', json);
    } catch (e) {
      // the line already says what to do: no --help pointer after it
      if (!(e instanceof CliError)) throw e;
      process.stderr.write(`pqroom conformance: ${e.message}\n`);
      return e.code;
    }
  }
  let vectorCases: RelayCase[] | undefined;
  if (vectorsFile !== undefined) {
    let text: string;
    try {
      checkInputFile('--vectors', vectorsFile);
      text = readFileSync(vectorsFile, 'utf8');
    } catch (e) {
      if (e instanceof CliError) return fail(e.message);
      return fail(`cannot read --vectors ${vectorsFile}: ${(e as Error).message}`);
    }
    const { file, problems } = await readVectorFile(text);
    if (file === undefined || problems.length > 0) return fail(`--vectors ${vectorsFile}: ${problems[0]?.message ?? 'not a vector file'} (pqroom vectors verify names the case)`);
    // the script's parser (the messages' codec, no crypto), loaded for a --vectors file only
    const { parseRelayCase, RELAY_KIND } = await import('../../../impl/conformance-script.ts');
    if (file.kind !== RELAY_KIND) return fail(`--vectors ${vectorsFile} holds ${file.kind} vectors, not ${RELAY_KIND}`);
    try {
      vectorCases = file.cases.map((c) => parseRelayCase(c));
    } catch (e) {
      return fail(`--vectors ${vectorsFile}: ${(e as Error).message}`);
    }
    if (!vectorCases.some((c) => c.profile === profile)) return fail(`--vectors ${vectorsFile} has no case of the ${profile} profile`);
  }
  // hardened without --relay-key: the key the relay serves (trust on first use), fetched before the crypto is loaded
  let served = false;
  if (profile === 'hardened' && keyHex === undefined) {
    try {
      const res = await fetch(`${url.replace(/^ws/, 'http').replace(/\/$/, '')}/relay-key`);
      if (!res.ok) return fail(`GET /relay-key answered ${res.status}: give the key with --relay-key`);
      keyHex = (await res.text()).trim();
    } catch (e) {
      return fail(`cannot reach ${url} (${(e as Error).message})`);
    }
    if (!/^[0-9a-f]{3904}$/.test(keyHex)) return fail('GET /relay-key did not serve 3904 hex characters: give the key with --relay-key');
    served = true;
  }
  // the suite's own crypto (its identities, handshakes, commits, signatures) on the fastest real
  // backend of this process: every real backend computes the same bytes (impl/crypto/backends.ts),
  // so the run is the same, only sooner; loaded here, after the command line was read
  const { fastestReal, loadRealBackends, realCrypto } = await import('../../../impl/crypto/backends.ts');
  await loadRealBackends();
  const crypto = realCrypto(fastestReal());
  const { fromHex, toHex } = await import('../../../impl/bytes.ts');
  const relayPk = profile === 'hardened' && keyHex !== undefined ? fromHex(keyHex.toLowerCase()) : undefined;
  if (served && relayPk !== undefined) {
    const { fingerprint } = await import('../../../impl/keyschedule.ts');
    const { relayKeyFingerprint } = await import('../../../impl/fingerprint.ts');
    out(`pinned the relay key served at /relay-key (trust on first use): ${relayKeyFingerprint(fingerprint(crypto, relayPk))}`);
  }
  const seed: Bytes = seedArg === undefined ? (await import('../../../impl/rng.ts')).systemRng.bytes(32) : fromHex(seedArg.toLowerCase());
  // the suite and its live clients, loaded with the crypto (a mistaken invocation loads neither)
  const { resultLine, runConformance, totalsLine } = await import('./suite.ts');
  const { Mismatch } = await import('./mismatch.ts');
  const { heldRoom, replayVectors } = await import('./vectors/replay.ts');
  if (vectorCases !== undefined) {
    // the vectors fix their room ids: a relay that ran them before would fail every case that creates a room
    let held: Bytes | undefined;
    try {
      held = await heldRoom({ url, crypto, profile, cases: vectorCases, ...(relayPk ? { relayPk } : {}) });
    } catch (e) {
      return fail(`cannot reach ${url} (${e instanceof Mismatch ? `expected ${e.expected}, got ${e.got}` : e instanceof Error ? e.message : String(e)})`);
    }
    if (held !== undefined) {
      process.stderr.write(`pqroom conformance: the relay already holds room ${toHex(held)} of ${vectorsFile} (it ran these vectors before): replay them against a fresh relay (an empty database)\n`);
      return 2;
    }
    out(`pqroom conformance: ${url}, profile ${profile}, vectors ${vectorsFile} (${vectorCases.filter((c) => c.profile === profile).length} cases)`);
  }
  else out(`pqroom conformance: ${url}, profile ${profile}, seed ${toHex(seed)}`);
  const report = vectorCases
    ? await replayVectors({ url, crypto, profile, cases: vectorCases, source: vectorsFile!, ...(relayPk ? { relayPk } : {}), ...(only === undefined ? {} : { only }), onResult: (r) => out(resultLine(r)) })
    : await runConformance({ url, crypto, profile, seed, ...(relayPk ? { relayPk } : {}), ...(only === undefined ? {} : { only }), onResult: (r) => out(resultLine(r)) });
  out(totalsLine(report));
  if (json !== undefined) {
    try {
      writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`pqroom conformance: cannot write ${json}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}
