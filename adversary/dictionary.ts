/**
 * The offline dictionary attack of a fake login server (spec 11.4 ATK-24, seed analysis L1).
 *
 * A compat client answers any challenge, and the answer `response_C = HMAC(K, challenge_C)` with
 * `K = SHA-256(ss1 || ss2)` tests password guesses: the fake server chose `pk_e` (so it knows
 * `ss2`), and `ss1 = Decaps(c1, sk_pw)` follows from a guess, the salt and the KDF parameters,
 * which it also chose (REQ-LOG-004 takes them unchecked). With the salt, the KDF parameters and
 * `c1` fixed, one precomputed table of `ss1` per candidate serves every victim: building it is
 * the whole cost, and cracking one login afterwards is one SHA-256 and one HMAC per candidate.
 */
import { equalBytes, type Bytes } from '../impl/bytes.ts';
import { decode } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { compatLoginKey } from '../impl/keyschedule.ts';
import { CompatLoginResponse, type KdfParams } from '../impl/messages/index.ts';
import { passwordKey } from '../impl/protocol/login.ts';
import { KEM_CT_BYTES } from '../impl/suite.ts';

const WORDS = (
  'password dragon monkey shadow master sunshine princess football baseball welcome ' +
  'letmein trustno1 superman batman flower hunter ranger thunder tigger summer ' +
  'winter autumn spring orange banana cherry lemon mango pepper ginger ' +
  'silver golden diamond crystal marble falcon eagle raven phoenix wizard ' +
  'pirate ninja samurai viking knight castle forest river ocean island ' +
  'planet rocket galaxy comet meteor saturn jupiter mercury venus pluto ' +
  'guitar piano violin trumpet drummer singer dancer artist poet writer ' +
  'coffee mocha latte cookie muffin donut pizza pasta burger taco ' +
  'hockey soccer tennis golfer skater surfer runner boxer racer sailor ' +
  'london paris berlin madrid moscow tokyo sydney dallas boston denver'
).split(' ');
const SUFFIXES = ['', '1', '12', '123', '1234', '!', '01', '69', '77', '99', ...Array.from({ length: 40 }, (_, i) => String(1975 + i)), ...Array.from({ length: 50 }, (_, i) => `#${i + 10}`)];

/** The candidate list: 100 words × 100 suffixes = 10,000 passwords, in a fixed order. */
export const DICTIONARY: readonly string[] = WORDS.flatMap((w) => SUFFIXES.map((s) => w + s));

/** The fake server's fixed choices: any salt, the cheapest KDF parameters the codec allows, any `c1`. */
export const FAKE_SERVER_SALT: Bytes = new Uint8Array(16).fill(0x5a);
export const FAKE_SERVER_KDF: KdfParams = { algorithm: 'argon2id', memory_kib: 8, iterations: 1, parallelism: 1 };
/** ML-KEM decapsulation never fails (implicit rejection), so any 1088 bytes do as `c1`. */
export const FAKE_SERVER_C1: Bytes = new Uint8Array(KEM_CT_BYTES).fill(0xa5);

// the precomputed table, per backend: ss1 of DICTIONARY[i] under the fixed salt, KDF and c1
const tables = new Map<string, Bytes[]>();

function ss1Of(c: CryptoProvider, i: number): Bytes {
  let table = tables.get(c.name);
  if (!table) tables.set(c.name, (table = []));
  while (table.length <= i) {
    const sk = passwordKey(c, DICTIONARY[table.length]!, FAKE_SERVER_SALT, FAKE_SERVER_KDF).secretKey;
    table.push(c.kemDecapsulate(FAKE_SERVER_C1, sk));
  }
  return table[i]!;
}

/** What the attack found. */
export interface Cracked {
  readonly password: string;
  /** Its position in the dictionary (guesses made = index + 1). */
  readonly index: number;
}

/**
 * Tests every candidate against one captured `CompatLoginResponse` to a challenge the fake server
 * made with {@link FAKE_SERVER_SALT}, {@link FAKE_SERVER_KDF}, {@link FAKE_SERVER_C1} and the
 * ephemeral key whose shared secret with the response's `c2` is `ss2`.
 */
export function crackCompatResponse(c: CryptoProvider, responseBytes: Bytes, challengeC: Bytes, ss2: Bytes): Cracked | undefined {
  const r = decode(CompatLoginResponse, responseBytes);
  for (let i = 0; i < DICTIONARY.length; i++) {
    const k = compatLoginKey(c, ss1Of(c, i), ss2);
    if (equalBytes(c.hmacSha256(k, challengeC), r.response)) return { password: DICTIONARY[i]!, index: i };
  }
  return undefined;
}

/**
 * L2, the stolen verifier (CAP-19): the thief recomputes `pk_pw` for each candidate under the
 * account's own salt and KDF parameters, one Argon2id and one ML-KEM key generation per guess.
 * No table helps here (the salt is the account's), but nothing slows it down beyond the KDF.
 */
export function crackVerifier(c: CryptoProvider, v: { readonly salt: Bytes; readonly kdf: KdfParams; readonly pk_pw: Bytes }): Cracked | undefined {
  for (let i = 0; i < DICTIONARY.length; i++) {
    if (equalBytes(passwordKey(c, DICTIONARY[i]!, v.salt, v.kdf).publicKey, v.pk_pw)) return { password: DICTIONARY[i]!, index: i };
  }
  return undefined;
}
