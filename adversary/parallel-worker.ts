/**
 * One worker thread of a parallel campaign (adversary/parallel.ts, spec 11.4): carries out each
 * task it is sent and posts the result back, then bumps the shared counter the main thread waits on.
 * The real backends (liboqs is WebAssembly, about 0.17 s to load) are loaded at the first task that
 * runs real crypto: a symbolic campaign's workers mostly never load them. The dictionary attack's
 * precomputed tables are the starting thread's (adversary/dictionary.ts), shared by all its workers.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { loadRealBackends } from '../impl/crypto/backends.ts';
import { useDictionaryTables } from './dictionary.ts';
import { execute, needsRealBackends, type Task } from './parallel-tasks.ts';

const { port, signal, tables } = workerData as { port: MessagePort; signal: SharedArrayBuffer; tables: SharedArrayBuffer };
const counter = new Int32Array(signal);
useDictionaryTables(tables);

port.on('message', async (msg: { i: number; task: Task }) => {
  let reply: { i: number; result?: unknown; error?: string };
  try {
    if (needsRealBackends(msg.task)) await loadRealBackends();
    reply = { i: msg.i, result: execute(msg.task) };
  } catch (e) {
    reply = { i: msg.i, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
