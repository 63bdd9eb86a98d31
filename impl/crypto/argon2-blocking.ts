/**
 * Argon2id (version 0x13, no secret, no associated data; REQ-CRY-013) in WebAssembly, called
 * synchronously from Node: the crypto provider's `argon2id` is synchronous (the login's KDF runs
 * inside machines, which do not wait), and hash-wasm is about 4 times noble's speed but
 * asynchronous. A helper thread (started at the first call, never keeping the process alive)
 * derives it while the caller waits on a shared counter; the bytes are RFC 9106's either way
 * (impl/crypto/argon2.test.ts checks them against noble and the reference implementation's answer).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Bytes } from '../bytes.ts';
import type { Argon2Params } from './provider.ts';

let helper: { readonly port: MessagePort; readonly signal: Int32Array } | undefined;

/** The longest a caller waits for the helper before it gives up (a 64 MiB derivation takes about 0.3 s). */
const WAIT_MS = 5 * 60_000;

/**
 * Argon2id through the helper thread, or undefined when it refuses the inputs (hash-wasm takes
 * no empty password, for one): the caller then uses its own implementation, which gives its own
 * errors for inputs outside RFC 9106.
 */
export function argon2idBlocking(password: Bytes, salt: Bytes, p: Argon2Params, length: number): Bytes | undefined {
  if (helper === undefined) {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./argon2-thread.mjs', import.meta.url), { workerData: { port: port2, signal: signal.buffer }, transferList: [port2] });
    worker.unref();
    port1.unref();
    helper = { port: port1, signal };
  }
  const { port, signal } = helper;
  const seen = Atomics.load(signal, 0);
  port.postMessage({ password, salt, t: p.t, m: p.m, p: p.p, length });
  const started = Date.now();
  for (;;) {
    const m = receiveMessageOnPort(port) as { message: { out?: Uint8Array; error?: string } } | undefined;
    if (m) return m.message.out === undefined ? undefined : new Uint8Array(m.message.out);
    if (Date.now() - started > WAIT_MS) throw new Error(`no Argon2id from the helper thread in ${WAIT_MS / 60_000} minutes`);
    Atomics.wait(signal, 0, seen, 1000);
  }
}
