/**
 * The offline dictionary attack of a fake login server (spec 11.4 ATK-24, seed analysis L1).
 *
 * A compat client answers any challenge, and the answer `response_C = HMAC(K, challenge_C)` with
 * `K = SHA-256(ss1 || ss2)` tests password guesses: the fake server chose `pk_e` (so it knows
 * `ss2`), and `ss1 = Decaps(c1, sk_pw)` follows from a guess, the salt and the KDF parameters,
 * which it also chose (REQ-LOG-004 takes them unchecked). With the salt, the KDF parameters and
 * `c1` fixed, one precomputed table of `ss1` per candidate serves every victim: building it is
 * the whole cost, and cracking one login afterwards is one SHA-256 and one HMAC per candidate.
 * The table is made lazily, entry by entry up to the victim's password, and one per backend serves
 * the whole process: the worker threads of a campaign (adversary/parallel.ts) share its memory, so
 * that an entry is made once, by whichever thread needs it first (and its bytes are the same
 * whichever thread made it).
 */
import { equalBytes, type Bytes } from '../impl/bytes.ts';
import { decode } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { symbolicCrypto } from '../impl/crypto/symbolic.ts';
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

/** The size of an ML-KEM shared secret, a table entry. */
const SS_BYTES = 32;

/**
 * The backends whose tables every thread of a process shares (by provider name; another name gets
 * a table of this thread's own). One provider name is one function: any thread fills any entry.
 */
const SHARED_BACKENDS = ['symbolic', 'noble', 'noble+node', 'liboqs', 'native'] as const;

// an entry's state: not made, being made by some thread, made (its bytes written before)
const EMPTY = 0;
const CLAIMED = 1;
const MADE = 2;
/** How many entries past the one it waits for a thread makes while another thread makes that one. */
const LOOKAHEAD = 8;
/** How long a thread waits for an entry another thread claimed before it makes the entry itself (that thread may be gone). */
const STALE_MS = 10_000;

/** One backend's table: each entry's state, then how many entries were made in all (any thread); each entry's `ss1`. */
interface Table {
  readonly state: Int32Array;
  readonly ss1: Uint8Array;
}

const MAKES = DICTIONARY.length; // the index of the count in `state`
const tableBytes = (n: number): number => 4 * (n + 1) + n * SS_BYTES;
function tableIn(buf: SharedArrayBuffer, slot: number): Table {
  const at = slot * tableBytes(DICTIONARY.length);
  return { state: new Int32Array(buf, at, DICTIONARY.length + 1), ss1: new Uint8Array(buf, at + 4 * (DICTIONARY.length + 1), DICTIONARY.length * SS_BYTES) };
}

let shared: SharedArrayBuffer | undefined;
const tables = new Map<string, Table>();

/**
 * The memory of this thread's precomputed tables, to hand to worker threads
 * ({@link useDictionaryTables}): with it, every thread of a campaign fills and reads the same
 * tables, and an entry is made once in the process, by whichever thread needs it first.
 */
export function dictionaryTables(): SharedArrayBuffer {
  shared ??= new SharedArrayBuffer(SHARED_BACKENDS.length * tableBytes(DICTIONARY.length));
  return shared;
}

/** Makes this thread (a campaign's worker) use the tables of the thread that started it, before it cracks anything. */
export function useDictionaryTables(buf: SharedArrayBuffer): void {
  if (buf.byteLength !== SHARED_BACKENDS.length * tableBytes(DICTIONARY.length)) throw new Error('dictionary tables of another layout (a bug in pqroom)');
  shared = buf;
  tables.clear();
}

function tableOf(name: string): Table {
  let t = tables.get(name);
  if (t === undefined) {
    const slot = (SHARED_BACKENDS as readonly string[]).indexOf(name);
    t = slot < 0 ? tableIn(new SharedArrayBuffer(tableBytes(DICTIONARY.length)), 0) : tableIn(dictionaryTables(), slot);
    tables.set(name, t);
  }
  return t;
}

/**
 * Makes entry `i` of `t`, which this thread has claimed; on a failure, gives the claim back. On the
 * symbolic backend, through a provider of its own: the world's would note each candidate's key
 * (symbolic keys are handles), and which world made which entry depends on the threads' timing.
 */
function make(c: CryptoProvider, t: Table, i: number): void {
  try {
    const p = c.name === 'symbolic' ? symbolicCrypto() : c;
    const sk = passwordKey(p, DICTIONARY[i]!, FAKE_SERVER_SALT, FAKE_SERVER_KDF).secretKey;
    const ss1 = p.kemDecapsulate(FAKE_SERVER_C1, sk);
    if (ss1.length !== SS_BYTES) throw new Error(`a shared secret of ${ss1.length} bytes from ${c.name}`);
    t.ss1.set(ss1, i * SS_BYTES);
    Atomics.store(t.state, i, MADE);
    Atomics.add(t.state, MAKES, 1);
  } catch (e) {
    Atomics.store(t.state, i, EMPTY);
    throw e;
  } finally {
    Atomics.notify(t.state, i);
  }
}

const claim = (t: Table, i: number): boolean => Atomics.compareExchange(t.state, i, EMPTY, CLAIMED) === EMPTY;

/**
 * `ss1` of `DICTIONARY[i]` under the fixed salt, KDF and `c1`: from the table, made now if no
 * thread has made it. While another thread makes entry `i`, this one makes the next entries no
 * thread has claimed (it needs them next, in order), then waits. An entry is the same bytes
 * whichever thread made it: a function of the candidate and the backend alone.
 */
function ss1Of(c: CryptoProvider, i: number): Bytes {
  const t = tableOf(c.name);
  let waited = 0;
  for (;;) {
    const s = Atomics.load(t.state, i);
    if (s === MADE) return t.ss1.slice(i * SS_BYTES, (i + 1) * SS_BYTES);
    if (s === EMPTY) {
      if (claim(t, i)) make(c, t, i);
      continue;
    }
    let ahead = false;
    for (let j = i + 1; j < Math.min(i + 1 + LOOKAHEAD, DICTIONARY.length) && !ahead; j++) {
      if (Atomics.load(t.state, j) === EMPTY && claim(t, j)) {
        make(c, t, j);
        ahead = true;
      }
    }
    if (ahead) continue;
    if (waited >= STALE_MS) {
      // the thread that claimed it is gone (a campaign's workers ended mid-task) or stuck: make it here
      if (Atomics.compareExchange(t.state, i, CLAIMED, CLAIMED) === CLAIMED) make(c, t, i);
      continue;
    }
    Atomics.wait(t.state, i, CLAIMED, 100);
    waited += 100;
  }
}

/** How far a backend's table is made in this process: the entries made, and how many times any thread made one (the same, unless an entry was made twice). */
export function tableProgress(name: string): { readonly made: number; readonly makes: number } {
  const t = tableOf(name);
  let made = 0;
  for (let i = 0; i < DICTIONARY.length; i++) if (Atomics.load(t.state, i) === MADE) made++;
  return { made, makes: Atomics.load(t.state, MAKES) };
}

/** `ss1` of candidate `i` on provider `c`'s backend, from the precomputed table (made now if no thread has made it yet). */
export function tableEntry(c: CryptoProvider, i: number): Bytes {
  if (!Number.isInteger(i) || i < 0 || i >= DICTIONARY.length) throw new RangeError(`no candidate ${i} in the dictionary`);
  return ss1Of(c, i);
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
