/**
 * The malicious relay live (spec 11.5, `pqroom relay --adversary PLAN`): the presets and plan
 * files, and real clients over real sockets detecting (or, in compat, missing) each attack.
 * Everything runs on loopback; every demo is bounded in time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { runDemo } from '../simulator/live/demo.ts';
import { startRelay, type LiveRelay } from '../simulator/live/relay.ts';
import { main as replayMain } from '../simulator/replay-cli.ts';
import { parseTrace } from '../simulator/trace.ts';
import { liveAdversary, loadLivePlan, loadLiveTap, LIVE_PLANS } from './live-plans.ts';

const dir = mkdtempSync(join(tmpdir(), 'pqroom-live-adversary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = (): void => {};

// concurrently (vitest's maxConcurrency, 5 at a time), each demo against its own relay and files: a
// demo spends most of its time waiting (for a gap to be overdue, for a refused delivery's
// retransmissions), which the other demos fill
describe.concurrent('the malicious relay, live (pqroom relay --adversary)', () => {
  const attacked = async (profile: 'hardened' | 'compat', preset: string) => {
    const plan = loadLivePlan(preset);
    let ref: LiveRelay | undefined;
    const tap = liveAdversary(plan, (name) => ref?.principalOf(name));
    const trace = join(dir, `relay-${profile}-${preset}.jsonl`);
    const demoTrace = join(dir, `demo-${profile}-${preset}.jsonl`);
    const relay = (ref = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, `${profile}-${preset}.db`), profile, log: quiet, tap, trace, traceHeader: { adversary: plan.name, plan: plan.plan } }));
    try {
      const r = await runDemo({ insecureTestKdf: true, relay: relay.url, members: 2, messages: 40, profile, out: quiet, timeoutMs: 60_000, trace: demoTrace });
      return { r, fired: tap.fired, relayTrace: parseTrace(readFileSync(trace, 'utf8')), demoTrace: () => parseTrace(readFileSync(demoTrace, 'utf8')) };
    } finally {
      await relay.close();
    }
  };

  it('should know every preset, and refuse a plan file that is not a plan', ({ expect }) => {
    expect(LIVE_PLANS.map((p) => p.name)).toEqual(['tamper', 'replay', 'withhold']);
    const bad = join(dir, 'bad-plan.json');
    writeFileSync(bad, JSON.stringify([{ op: 'drop' }]));
    expect(() => loadLivePlan(bad)).toThrow(/step 1: drop is a use of CAP-02, not undefined/);
    expect(() => loadLivePlan(join(dir, 'missing.json'))).toThrow(/neither a preset/);
    expect(() => loadLiveTap(bad)).toThrow(/step 1: drop is a use of CAP-02/);
  });

  it('should give the live relay the plan as its tap, named in the trace header as before', ({ expect }) => {
    const plan = loadLivePlan('withhold');
    const live = loadLiveTap('withhold');
    expect([live.name, live.describe]).toEqual([plan.name, plan.describe]);
    expect(JSON.stringify({ adversary: live.name, ...live.traceHeader })).toBe(JSON.stringify({ adversary: plan.name, plan: plan.plan }));
    const tap = live.tap(() => undefined);
    expect(typeof tap.up).toBe('function');
    expect(typeof tap.down).toBe('function');
  });

  it('PROP-08 hardened: a replayed message is refused by every member (REQ-MEM-016), none shows it twice', async ({ expect }) => {
    const { r, fired, relayTrace } = await attacked('hardened', 'replay');
    expect(fired).toEqual([1]);
    expect(r.duplicates).toEqual([]);
    expect(r.refused.some((x) => x.includes('REQ-MEM-016'))).toBe(true);
    expect(relayTrace[0]).toMatchObject({ kind: 'run', live: true, adversary: 'replay' });
    expect(relayTrace.some((e) => e.kind === 'event' && e.what === 'CAP-05 replay')).toBe(true);
  }, 90_000);

  it('PROP-08 compat: the same replay is shown twice by the members (W6), and the demo fails', async ({ expect }) => {
    const { r, fired } = await attacked('compat', 'replay');
    expect(fired).toEqual([1]);
    expect(r.duplicates.length).toBeGreaterThan(0);
    expect(r.ok).toBe(false);
  }, 90_000);

  it('PROP-10 hardened: a withheld message is raised as a gap (REQ-MEM-020) by the member it was withheld from', async ({ expect }) => {
    const { r, fired, demoTrace } = await attacked('hardened', 'withhold');
    expect(fired).toEqual([1]);
    expect(r.alarms.some((a) => a.includes('REQ-MEM-020'))).toBe(true);
    expect(r.ok).toBe(false);
    // the demo's trace: one line per client event, the alarm among them, the verdict last
    const t = demoTrace();
    expect(t[0]).toMatchObject({ kind: 'run', live: true, role: 'demo' });
    expect(t.some((e) => e.kind === 'alarm' && e.reqId === 'REQ-MEM-020')).toBe(true);
    expect(t.at(-1)).toMatchObject({ kind: 'summary', ok: false });
    expect(t.filter((e) => e.kind === 'deliver').length).toBeGreaterThanOrEqual(r.members.reduce((n, m) => n + m.received, 0));
    // pqroom replay renders a live trace instead of re-running it
    const said: string[] = [];
    const mmd = join(dir, 'withhold.mmd');
    expect(await replayMain([join(dir, 'demo-hardened-withhold.jsonl'), '--mermaid', mmd], (l) => said.push(l))).toBe(0);
    expect(said.join('\n')).toMatch(/live trace of the demo .*alarm \d+/);
    expect(readFileSync(mmd, 'utf8')).toMatch(/^sequenceDiagram\n {2}%% live run of the demo, hardened/);
  }, 90_000);

  it('compat: a tampered delivery is refused too (its AEAD fails)', async ({ expect }) => {
    const { r, fired } = await attacked('compat', 'tamper');
    expect(fired).toEqual([1]);
    expect(r.refused.length).toBeGreaterThan(0);
    expect(r.duplicates).toEqual([]);
  }, 90_000);

  it('hardened: a tampered delivery is refused (REQ-MEM-014), never shown', async ({ expect }) => {
    const { r, fired } = await attacked('hardened', 'tamper');
    expect(fired).toEqual([1]);
    expect(r.refused.some((x) => x.includes('REQ-MEM-014'))).toBe(true);
    expect(r.duplicates).toEqual([]);
  }, 90_000);
});
