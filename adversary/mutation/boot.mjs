// Worker entry of one generated mutant (adversary/mutation/run.ts): installs the probe the
// mutated code reports to, registers the TypeScript loader and then the hook that substitutes the
// mutated file, runs the campaign in this worker's fresh module graph and posts the result.
import { register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { register as registerTsx } from 'tsx/esm/api';

const probe = { reached: 0, infected: 0 };
const shift = (x, d) => (d === 0 ? x : typeof x === 'bigint' ? x + BigInt(d) : x + d);
const compare = (op, a, b) => (op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b);
globalThis.__pqroomMutant = {
  // a negated condition or a dropped call: reached, and always different
  hit(x) {
    probe.reached++;
    probe.infected++;
    return x;
  },
  // a guard removed: different when the guard would have held
  guard(c) {
    probe.reached++;
    if (c) probe.infected++;
    return false;
  },
  // a moved bound: different when the two comparisons disagree
  cmp(a, b, op, mop, dl, dr) {
    probe.reached++;
    const m = compare(mop, shift(a, dl), shift(b, dr));
    if (m !== compare(op, a, b)) probe.infected++;
    return m;
  },
};

registerTsx();
if (workerData.url !== undefined) register(new URL('./hook.mjs', import.meta.url), { data: { url: workerData.url, source: workerData.source } });
const { runCampaign } = await import('./campaign.ts');
const t0 = performance.now();
const result = runCampaign(workerData.budget);
parentPort.postMessage({ ...result, reached: probe.reached, infected: probe.infected, ms: Math.round(performance.now() - t0) });
