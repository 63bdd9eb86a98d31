/** `pqroom simulate --adversary PLAN` (spec 11.2.1): a plan against a scenario, judged by the oracles, and replayed from its trace. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as simulateMain } from '../simulator/cli.ts';
import { replayTrace } from '../simulator/replay.ts';
import { loadSimulationAdversary, rebuildSimulationTrace } from './sim-plans.ts';

const dir = mkdtempSync(join(tmpdir(), 'pqroom-sim-adversary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = async (args: string[]) => {
  const lines: string[] = [];
  const code = await simulateMain(['--scenario', 'removal', '--seed', '3', '--backend', 'symbolic', '--messages', '30', ...args], (s) => lines.push(s), loadSimulationAdversary, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
};

describe('pqroom simulate --adversary', async () => {
  it('PROP-08 compat: the replay preset breaks PROP-08, exit 1, and the trace replays identically with the same relay', async () => {
    const trace = join(dir, 'compat-replay.jsonl');
    const r = await run(['--profile', 'compat', '--adversary', 'replay', '--trace', trace]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/adversary replay: 1 plan step\(s\), fired 1\n {2}properties: BROKEN .*PROP-08/);
    const recorded = readFileSync(trace, 'utf8');
    expect(JSON.parse(recorded.split('\n')[0]!)).toMatchObject({ scenario: 'removal', adversary: { name: 'replay' } });
    expect(replayTrace(recorded, [rebuildSimulationTrace]).identical).toBe(true);
    // without the adversary's rebuilder the run is a different one: the plan is what the header says
    expect(replayTrace(recorded).identical).toBe(false);
  });
  it('PROP-08 hardened: the same preset is refused by every member (REQ-MEM-016), exit 0', async () => {
    const r = await run(['--adversary', 'replay']);
    expect(r.text).toMatch(/properties: none broken/);
    expect(r.code).toBe(0);
  });
  it('a plan file of spec 11.2.1 is taken; a wrong one is refused with the step and field, exit 2', async () => {
    const good = join(dir, 'plan.json');
    writeFileSync(good, JSON.stringify([{ cap: 'CAP-02', op: 'drop', match: { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)', nth: 3 } }]));
    expect((await run(['--adversary', good])).text).toMatch(/adversary .*plan\.json: 1 plan step\(s\), fired 1/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ cap: 'CAP-02', op: 'drop', match: { dir: 'down' } }, { cap: 'CAP-03', op: 'delay', match: { dir: 'up' } }]));
    const r = await run(['--adversary', bad]);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/step 2: delay needs "ms"/);
  });
});
