/**
 * Argon2id from node:crypto (REQ-CRY-013): `crypto.argon2Sync` and `crypto.argon2`, which Node
 * 24.7 added on OpenSSL 3.5's Argon2. Found by feature detection and never required: on Node 20,
 * or in a browser, {@link nodeArgon2id} is undefined and {@link nodeArgon2idAbsent} says why.
 *
 * This module imports nothing from Node: it asks the running process for node:crypto
 * (`process.getBuiltinModule`, Node 20.16 and later), so the vault and the web page, which are
 * bundled for browsers with impl/crypto/argon2.ts, bundle no Node module and find no Argon2id here.
 * The bytes are RFC 9106's (version 0x13): a self-test against RFC 9106's vector (section 5.3,
 * which has a secret and associated data) at load, and impl/crypto/argon2-node.test.ts holds them
 * to noble's and hash-wasm's on generated inputs.
 */
import { toHex, type Bytes } from '../bytes.ts';
import type { Argon2Params } from './provider.ts';

/** node:crypto's Argon2 parameters (Node's documentation of `crypto.argon2Sync`; @types/node 20 does not describe them). */
interface NodeArgon2Parameters {
  /** The password. */
  readonly message: Bytes;
  /** The salt, at least 8 bytes. */
  readonly nonce: Bytes;
  /** Lanes, p. */
  readonly parallelism: number;
  /** Output length in bytes, at least 4. */
  readonly tagLength: number;
  /** Memory in KiB, at least 8 × parallelism. */
  readonly memory: number;
  /** Iterations, t. */
  readonly passes: number;
  /** RFC 9106's secret value K (pqroom uses none). */
  readonly secret?: Bytes;
  /** RFC 9106's associated data X (pqroom uses none). */
  readonly associatedData?: Bytes;
}

interface NodeArgon2 {
  argon2Sync(algorithm: 'argon2id', parameters: NodeArgon2Parameters): Buffer;
  argon2(algorithm: 'argon2id', parameters: NodeArgon2Parameters, callback: (err: Error | null, key: Buffer) => void): void;
}

/** RFC 9106's optional inputs, which pqroom never uses (REQ-CRY-013) and its tests do. */
export interface Argon2Extra {
  readonly secret?: Bytes;
  readonly associatedData?: Bytes;
}

/** node:crypto's Argon2id, version 0x13; node's own errors (ERR_OUT_OF_RANGE) for inputs outside its ranges. */
export interface NodeArgon2id {
  /** Synchronous: the calling thread computes it. */
  sync(password: Bytes, salt: Bytes, params: Argon2Params, length: number, extra?: Argon2Extra): Bytes;
  /** Asynchronous: computed on libuv's thread pool. */
  async(password: Bytes, salt: Bytes, params: Argon2Params, length: number, extra?: Argon2Extra): Promise<Bytes>;
}

function parameters(password: Bytes, salt: Bytes, p: Argon2Params, length: number, extra: Argon2Extra | undefined): NodeArgon2Parameters {
  return { message: password, nonce: salt, passes: p.t, memory: p.m, parallelism: p.p, tagLength: length, ...(extra?.secret ? { secret: extra.secret } : {}), ...(extra?.associatedData ? { associatedData: extra.associatedData } : {}) };
}

/** A copy as a plain Uint8Array (never a view that shares memory with a Buffer node may pool). */
const own = (b: Buffer): Bytes => new Uint8Array(b);

/** RFC 9106 section 5.3: password 32 × 01, salt 16 × 02, secret 8 × 03, associated data 12 × 04, t=3, m=32, p=4, 32 bytes. */
export const RFC9106_ARGON2ID = {
  password: new Uint8Array(32).fill(1),
  salt: new Uint8Array(16).fill(2),
  secret: new Uint8Array(8).fill(3),
  associatedData: new Uint8Array(12).fill(4),
  params: { t: 3, m: 32, p: 4 },
  length: 32,
  tag: '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659',
} as const;

function detect(): { readonly found?: NodeArgon2id; readonly why?: string } {
  const proc = (globalThis as { process?: { version?: string; versions?: { openssl?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  const c = proc?.getBuiltinModule?.('node:crypto') as Partial<NodeArgon2> | undefined;
  if (c === undefined) return { why: 'no node:crypto in this runtime' };
  if (typeof c.argon2Sync !== 'function' || typeof c.argon2 !== 'function') return { why: `node ${proc?.version} has no crypto.argon2Sync (Node 24.7 and later has)` };
  const api = c as NodeArgon2;
  const found: NodeArgon2id = {
    sync: (password, salt, p, length, extra) => own(api.argon2Sync('argon2id', parameters(password, salt, p, length, extra))),
    async: (password, salt, p, length, extra) =>
      new Promise((resolve, reject) => {
        api.argon2('argon2id', parameters(password, salt, p, length, extra), (err, key) => (err ? reject(err) : resolve(own(key))));
      }),
  };
  const v = RFC9106_ARGON2ID;
  try {
    const tag = toHex(found.sync(v.password, v.salt, v.params, v.length, v));
    if (tag !== v.tag) return { why: `node ${proc?.version}'s crypto.argon2Sync misses RFC 9106's vector (${tag})` };
  } catch (e) {
    return { why: `node ${proc?.version} (OpenSSL ${proc?.versions?.openssl}) has crypto.argon2Sync but no usable Argon2id: ${(e as Error).message}` };
  }
  return { found };
}

const detected = detect();

/** node:crypto's Argon2id where the runtime has it (Node 24.7 and later), else undefined. */
export const nodeArgon2id: NodeArgon2id | undefined = detected.found;

/** Why {@link nodeArgon2id} is undefined here (undefined when it is present). */
export const nodeArgon2idAbsent: string | undefined = detected.why;
