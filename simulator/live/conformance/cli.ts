/** `pqroom conformance --relay ws://HOST:PORT [--relay-key HEX] [--profile P] [--json FILE]`. */
import { writeFileSync } from 'node:fs';
import { fromHex, type Bytes } from '../../../impl/bytes.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { fingerprint } from '../../../impl/keyschedule.ts';
import { systemRng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import { toHex } from '../../../impl/bytes.ts';
import { resultLine, runConformance, totalsLine } from './suite.ts';
import { checkOutputFile, CliError, parseCommand } from '../../../impl/cli-args.ts';
import { relayKeyFingerprint } from '../../../impl/fingerprint.ts';

const HELP = `usage: pqroom conformance --relay ws://HOST:PORT [--relay-key HEX] [--profile hardened|compat]
                          [--json FILE] [--only TEXT] [--seed HEX]

Audits a relay over the wire: scripted cases, each naming the requirement of spec/ it checks
(the handshake, the authorization matrix, rooms, invites, joins, commits, sends, history,
mailboxes, retransmissions, malformed frames, the rate limit). It connects as several
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
  -h, --help       this text

The relay must be fresh enough to accept new rooms and run with its default rate limit
(200 requests/s, burst 400). A case runs at most 30 s.`;

/** `pqroom conformance`. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`pqroom conformance: ${msg}; see pqroom conformance --help\n`);
    return 2;
  };
  // one parser for every command (util.parseArgs, strict): unknown options and missing values named
  let p;
  try {
    p = parseCommand('conformance', argv, { relay: { type: 'string' }, 'relay-key': { type: 'string' }, profile: { type: 'string' }, json: { type: 'string' }, only: { type: 'string' }, seed: { type: 'string' } });
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
  const seed: Bytes = seedArg === undefined ? systemRng.bytes(32) : fromHex(seedArg.toLowerCase());
  if (json !== undefined) {
    try {
      checkOutputFile('--json', json);
    } catch (e) {
      if (e instanceof CliError) return fail(e.message);
      throw e;
    }
  }
  if (url === undefined) return fail('--relay ws://HOST:PORT is required');
  if (!/^wss?:\/\/[^/]+/.test(url)) return fail(`--relay must be a ws:// or wss:// URL, not ${url}`);
  let relayPk: Bytes | undefined;
  if (profile === 'hardened') {
    if (keyHex === undefined) {
      try {
        const res = await fetch(`${url.replace(/^ws/, 'http').replace(/\/$/, '')}/relay-key`);
        if (!res.ok) return fail(`GET /relay-key answered ${res.status}: give the key with --relay-key`);
        keyHex = (await res.text()).trim();
      } catch (e) {
        return fail(`cannot reach ${url} (${(e as Error).message})`);
      }
      if (!/^[0-9a-f]{3904}$/.test(keyHex)) return fail('GET /relay-key did not serve 3904 hex characters: give the key with --relay-key');
      out(`pinned the relay key served at /relay-key (trust on first use): ${relayKeyFingerprint(fingerprint(nodeCrypto, fromHex(keyHex)))}`);
    } else if (!/^[0-9a-fA-F]{3904}$/.test(keyHex)) return fail('--relay-key needs the 3904 hex characters of the ML-DSA-65 key');
    relayPk = fromHex(keyHex.toLowerCase());
  }
  out(`pqroom conformance: ${url}, profile ${profile}, seed ${toHex(seed)}`);
  const report = await runConformance({ url, crypto: nodeCrypto, profile, seed, ...(relayPk ? { relayPk } : {}), ...(only === undefined ? {} : { only }), onResult: (r) => out(resultLine(r)) });
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
