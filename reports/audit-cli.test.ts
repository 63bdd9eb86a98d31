import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../impl/temp-testkit.ts';
import { main as replay } from '../simulator/replay-cli.ts';
import { rebuildAuditTrace, type AuditResult } from '../adversary/audit.ts';
import { auditExit, main as audit, realLine } from './audit-cli.ts';
import { specRequirementTable } from '../adversary/audit.ts';
import { MUTANTS } from '../adversary/mutants.ts';
import { describeAuditReport } from './page/page-testkit.ts';

// One real audit (a small campaign on both profiles, both backends, two workers) serves this file:
// the command's own tests below, then the report's (reports/page/page-testkit.ts) on the folder it wrote
const dir = tempFolder('pqroom-audit-');
const lines: string[] = [];
let code = -1;
let ran: AuditResult | undefined;
// run by the first beforeAll that needs it (so that either part of the file runs alone with -t), once
let auditing: Promise<void> | undefined;
const runAudit = (): Promise<void> =>
  (auditing ??= (async () => {
    code = await audit(['--runs', '3', '--seed', '2', '--workers', '2', '--out', dir, '--json', join(dir, 'a.json'), '--quiet'], (s) => lines.push(s), () => undefined);
    ran = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')) as AuditResult;
  })());

describe('pqroom audit', () => {
  beforeAll(runAudit, 600_000);

  it('runs a small campaign on both profiles, prints the table and writes the result in the documented shape', () => {
    const r = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as AuditResult;
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['seed', 'runs', 'backend', 'commit', 'versions', 'profiles', 'mutants', 'mutationScore']));
    expect(r.seed).toBe(2);
    // every equivalence claim hunted with every named attack on the campaign's seeds, none refuted; the requirement table without a gap
    for (const e of r.equivalentMutants) expect(e, e.id).toMatchObject({ refuted: false, seeds: [2, 3] });
    for (const e of r.equivalentMutants) expect(e.runs, e.id).toBeGreaterThan(40);
    expect(r.requirementTable.filter((q) => q.status === 'gap' || q.status === 'stale')).toEqual([]);
    for (const p of ['hardened', 'compat'] as const) {
      const prof = r.profiles[p]!;
      expect(prof.properties.length).toBeGreaterThanOrEqual(26);
      expect(prof.attacks.length).toBeGreaterThan(10);
      for (const x of prof.properties) expect(Object.keys(x)).toEqual(expect.arrayContaining(['id', 'holds', 'runs']));
    }
    // hardened: every attack is blocked but the open findings, and only their properties are broken; compat: broken ones carry a replay command
    const open = r.profiles.hardened!.attacks.filter((a) => a.openFinding !== undefined);
    expect(r.profiles.hardened!.attacks.filter((a) => !a.blocked).map((a) => a.id)).toEqual(open.map((a) => a.id));
    const openProps = new Set(open.flatMap((a) => a.broken));
    for (const x of r.profiles.hardened!.properties.filter((p) => p.holds === false)) expect(openProps.has(x.id), x.id).toBe(true);
    const broken = r.profiles.compat!.properties.filter((x) => x.holds === false);
    expect(broken.map((x) => x.id)).toEqual(expect.arrayContaining(['PROP-01', 'PROP-04', 'PROP-06', 'PROP-08', 'PROP-09', 'PROP-11', 'PROP-12', 'PROP-13']));
    // the replay command names the trace relative to the output folder (the folder of audit.json), whatever the current folder
    for (const x of broken) expect(x.counterexample!.replay).toBe(`npx pqroom replay ${x.counterexample!.trace}`);
    for (const x of broken) expect(x.counterexample!.trace).toMatch(/^counterexamples\/compat-PROP-\d+\.jsonl$/);
    expect(r.mutationScore).toBe(1);
    // asSpecified: the property came out as spec 12 expects it in this profile; exit 0 only when every one did
    // (a compat weakness not found within 3 runs counts against it) and every mutant was killed
    const props = [...r.profiles.hardened!.properties, ...r.profiles.compat!.properties];
    for (const x of props) expect(x.asSpecified, x.id).toBe(x.holds !== null && x.holds === (x.expected === 'holds'));
    expect(code).toBe(props.every((x) => x.asSpecified) && r.mutationScore === 1 ? 0 : 1);
    expect(open).toEqual([]); // ATK-19 was one until REQ-OWN-024
    expect(lines.join('\n')).toMatch(/PROP-04\s+holds \(\d+ runs\)\s+BROKEN \(seed 2, ATK-14\)/);
    // what it wrote, every file and folder of it named on the console (issue 26)
    const files = readdirSync(join(dir, 'counterexamples')).length;
    expect(lines.join('\n')).toContain(`written: ${join(dir, 'audit.json')}, ${join(dir, 'index.html')}, ${join(dir, 'audit.md')}, ${join(dir, 'junit.xml')}, ${join(dir, 'traceability.md')}, ${join(dir, 'traceability.json')}, ${join(dir, 'counterexamples')}/ (${files} replayable traces), ${join(dir, 'a.json')}`);
  });

  it('gives the same audit.json and the same counterexample traces with one worker as with two (--workers), and run from another current folder', async () => {
    const one = tempFolder('pqroom-audit-1-');
    const elsewhere = tempFolder('pqroom-audit-cwd-');
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      expect(await audit(['--runs', '3', '--seed', '2', '--workers', '1', '--out', one, '--quiet'], () => undefined, () => undefined)).toBe(code);
    } finally {
      process.chdir(cwd);
    }
    // timings aside: the campaign's seconds, its start, and how long each mutant hunt (equivalent ones included) took; no path differs
    const read = (d: string): string => {
      const r = JSON.parse(readFileSync(join(d, 'audit.json'), 'utf8')) as Record<string, unknown> & { mutants: Record<string, unknown>[]; equivalentMutants: Record<string, unknown>[] };
      return JSON.stringify({ ...r, seconds: 0, startedAt: '', mutants: r.mutants.map((m) => ({ ...m, ms: 0 })), equivalentMutants: r.equivalentMutants.map((m) => ({ ...m, ms: 0 })) }, null, 1);
    };
    expect(read(one)).toBe(read(dir));
    const files = readdirSync(join(dir, 'counterexamples')).sort();
    expect(readdirSync(join(one, 'counterexamples')).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(one, 'counterexamples', f), 'utf8'), f).toBe(readFileSync(join(dir, 'counterexamples', f), 'utf8'));
  }, 600_000);

  it('every counterexample it wrote replays to the same bytes and shows the violation, by the command audit.json records, in the folder of audit.json', async () => {
    const files = readdirSync(join(dir, 'counterexamples'));
    expect(files.length).toBeGreaterThan(10);
    const r = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')) as AuditResult;
    const recorded = [...r.profiles.compat!.properties.map((p) => p.counterexample?.replay), ...r.mutants.map((m) => m.replay)].filter((x): x is string => x !== undefined);
    const chosen = recorded.filter((c) => c.includes('compat-PROP-04') || c.includes('mutant-'));
    expect(chosen.length).toBeGreaterThan(3);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const command of chosen) {
        const [npx, pqroom, verb, trace, ...more] = command.split(' ');
        expect([npx, pqroom, verb, more]).toEqual(['npx', 'pqroom', 'replay', []]);
        const out: string[] = [];
        expect(await replay([trace!], (s) => out.push(s), [rebuildAuditTrace]), command).toBe(0);
        expect(out.join('\n')).toMatch(/identical: \d+ lines/);
        expect(out.join('\n')).toMatch(/verdict: the same violations\n {2}PROP-\d+ at/);
      }
    } finally {
      process.chdir(cwd);
    }
  }, 600_000);

  it("the recorded command, run as a person runs it (node cli.js), replays in the folder of audit.json, and from a folder whose reports/out holds it (the audit's default)", () => {
    const r = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')) as AuditResult;
    const command = r.profiles.compat!.properties.find((p) => p.id === 'PROP-04')!.counterexample!.replay;
    const trace = command.replace(/^npx pqroom replay /, '');
    const root = tempFolder('pqroom-audit-root-');
    mkdirSync(join(root, 'reports'));
    symlinkSync(dir, join(root, 'reports', 'out'));
    for (const cwd of [dir, root]) {
      const run = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'cli.js'), 'replay', trace], { cwd, encoding: 'utf8' });
      expect(run.stderr, cwd).toBe('');
      expect(run.status, cwd).toBe(0);
      expect(run.stdout).toMatch(/^identical: \d+ lines replayed from .*counterexamples\/compat-PROP-04\.jsonl\nverdict: the same violations\n {2}PROP-04 at/);
    }
    // elsewhere: one line saying where the path is relative to
    const lost = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'cli.js'), 'replay', trace], { cwd: tmpdir(), encoding: 'utf8' });
    expect(lost.status).toBe(2);
    expect(lost.stderr).toBe(`pqroom replay: TRACE ${trace}: no such file here nor in reports/out; check the path (audit.json's counterexample paths are relative to its folder: run the command there)\n`);
  }, 120_000);

  it('a counterexample whose verdict was edited no longer replays identically', async () => {
    const f = join(dir, 'counterexamples', 'compat-PROP-04.jsonl');
    const text = readFileSync(f, 'utf8').replace('"blocked":false', '"blocked":true');
    const g = join(dir, 'edited.jsonl');
    writeFileSync(g, text);
    const out: string[] = [];
    expect(await replay([g], (s) => out.push(s), [rebuildAuditTrace])).toBe(1);
    expect(out.join('\n')).toMatch(/differs at line/);
  }, 600_000);

  it('--backend both says on the console whether the real verdicts agree with the symbolic ones (issue 26)', () => {
    const attacks = (agree: (boolean | undefined)[]) => agree.map((realAgrees, i) => ({ id: `ATK-0${i + 1}`, realAgrees }));
    const result = (h: (boolean | undefined)[], c: (boolean | undefined)[]) => ({ profiles: { hardened: { attacks: attacks(h) }, compat: { attacks: attacks(c) } } }) as unknown as AuditResult;
    expect(realLine(result([true, true], [true, undefined]))).toBe("--backend both: the real backend's verdicts agree with the symbolic ones on all 3 named attack runs");
    expect(realLine(result([true, false], [true, true]))).toBe('--backend both: the real backend DISAGREES on 1 of 4 named attack runs: ATK-02');
  });

  it('refuses unknown options with exit 2', async () => {
    const err: string[] = [];
    expect(await audit(['--profile', 'weak'], () => undefined, (s) => err.push(s))).toBe(2);
    expect(err.join('\n')).toMatch(/--profile must be one of all, hardened, compat, not 'weak'/);
  });

  it('exit rule: an unexplained gap in the requirement table (spec 12.3, 12.4), or a refuted or unhunted equivalence claim, fails the audit', () => {
    const base = { profiles: {}, mutationScore: 1, equivalentMutants: [{ id: 'x', removes: 'REQ-MEM-019', check: '', attack: 'ATK-17b', stoppedBy: 'REQ-MEM-018', why: '', refuted: false, runs: 90 }], requirementTable: specRequirementTable() } as unknown as AuditResult;
    expect(auditExit(base, 0)).toBe(0);
    // a mutant taken away: its requirement is an unexplained gap
    expect(auditExit({ ...base, requirementTable: specRequirementTable(MUTANTS.filter((m) => m.id !== 'no-epoch-roster-check')) }, 0)).toBe(1);
    expect(auditExit({ ...base, equivalentMutants: [{ ...base.equivalentMutants[0]!, refuted: true }] }, 0)).toBe(1);
    expect(auditExit({ ...base, equivalentMutants: [{ ...base.equivalentMutants[0]!, runs: 0 }] }, 0)).toBe(1);
    expect(auditExit(base, 1)).toBe(1);
  });
});

// the report page, audit.md and junit.xml of the same audit
describeAuditReport(async () => {
  await runAudit();
  return { dir, result: ran!, code };
});
