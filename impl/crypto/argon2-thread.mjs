// The helper thread of impl/crypto/argon2-blocking.ts: Argon2id in WebAssembly (hash-wasm) for a
// caller that waits on the shared counter (REQ-CRY-013). Plain JavaScript: no loader to start.
import { workerData } from 'node:worker_threads';
import { argon2id } from 'hash-wasm';

const { port, signal } = workerData;
const counter = new Int32Array(signal);

port.on('message', async (m) => {
  let reply;
  try {
    reply = { out: await argon2id({ password: m.password, salt: m.salt, iterations: m.t, parallelism: m.p, memorySize: m.m, hashLength: m.length, outputType: 'binary' }) };
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
