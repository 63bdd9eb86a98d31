/**
 * The checks of the audit report (spec 12) of a small fixed campaign: the page's structure and
 * counts against the result, the same result rendering the same page byte for byte (the date
 * aside), audit.md and junit.xml, failures that must never show as passes, and the page opened in
 * Debian's Chromium (every diagram rendered to SVG, no console error, no request leaving the
 * machine, a screenshot written beside the page). They read the folder of a real audit that
 * reports/audit-cli.test.ts runs once for its own tests (issue 24: one audit, not one per file).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditResult } from '../../adversary/audit.ts';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../../impl/chromium-testkit.ts';
import { specProperties } from '../spec.ts';
import type { Trace } from '../traceability.ts';
import { main as report } from './cli.ts';
import { gaps } from './model.ts';
import { writeReport } from './write.ts';

/** A finished `pqroom audit --out DIR`: its folder, the result it wrote there, its exit code. */
export interface AuditFixture {
  readonly dir: string;
  readonly result: AuditResult;
  readonly code: number;
}

const count = (text: string, re: RegExp): number => [...text.matchAll(re)].length;
const DATE = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

/** Declares the report's tests against the audit that `fixture` gives once it has run (awaited in each describe's beforeAll). */
export function describeAuditReport(fixture: () => Promise<AuditFixture>): void {
  let dir = '';
  let file = '';
  let result: AuditResult;
  let auditCode = -1;
  const take = async (): Promise<void> => {
    ({ dir, result, code: auditCode } = await fixture());
    file = join(dir, 'audit.json');
  };
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

  describe('the audit report of a small campaign', () => {
    beforeAll(take, 600_000);
    it('pqroom audit writes index.html, mermaid.min.js, audit.md and junit.xml beside audit.json, and exits 0 when the report shows no problem', () => {
      for (const f of ['index.html', 'mermaid.min.js', 'audit.md', 'junit.xml', 'traceability.md']) expect(existsSync(join(dir, f)), f).toBe(true);
      expect(statSync(join(dir, 'mermaid.min.js')).size).toBeGreaterThan(1_000_000);
      expect(auditCode).toBe(read('index.html').includes('PASS: everything as the spec says') ? 0 : 1);
    });

    it('the header makes it checkable: version, commit, dirty flag, versions, machine, seed, runs, backend, duration, SHA-256 of audit.json and of every vector file', () => {
      const page = read('index.html');
      const header = page.slice(page.indexOf('<header'), page.indexOf('</header>'));
      expect(header).toContain(result.commit.slice(0, 12));
      expect(header).toContain(createHash('sha256').update(readFileSync(file)).digest('hex'));
      for (const [k, v] of Object.entries(result.versions)) expect(header, k).toContain(`${k}</span>${v}`);
      expect(result.vectors!.length).toBeGreaterThan(5);
      for (const v of result.vectors!) {
        expect(v.sha256).toBe(createHash('sha256').update(readFileSync(join(import.meta.dirname, '..', '..', 'vectors', v.file))).digest('hex'));
        expect(header).toContain(v.sha256);
      }
      expect(header).toContain(`<span class="k">seed</span>${result.seed}<`);
      expect(header).toContain(`${result.seconds} s`);
      expect(header).toContain(`${result.machine.cores}`);
      expect(header).toMatch(/dirty: uncommitted changes|the same commit/);
    });

    it('the verdict matrix has every property of spec 12 with its name and statement, and every attack, in both profiles', () => {
      const page = read('index.html');
      const props = page.slice(page.indexOf('id="properties"'), page.indexOf('id="attacks"'));
      for (const p of specProperties()) {
        expect(props, p.id).toContain(`<strong>${p.name}</strong><div class="statement">${p.statement.replaceAll('"', '&quot;').replaceAll("'", '&#39;')}</div>`);
        for (const profile of ['hardened', 'compat'] as const) {
          const x = result.profiles[profile]!.properties.find((y) => y.id === p.id)!;
          expect(props).toContain(x.holds ? `${x.runs} runs</span>` : `href="#ce-${profile}-${p.id.toLowerCase()}">BROKEN`);
        }
      }
      const attacks = page.slice(page.indexOf('id="attacks"'), page.indexOf('id="counterexamples"'));
      expect(count(attacks, /<tr><td><a href="[^"]*11-threat-model.md" title="spec 11.4">ATK-/g)).toBe(result.attackInfo.length);
    });

    it('draws and explains every broken property and attack: a card, the seed weakness, the replay command and a diagram each; one state diagram per machine', () => {
      const page = read('index.html');
      let cards = 0;
      for (const profile of ['hardened', 'compat'] as const) {
        for (const p of result.profiles[profile]!.properties.filter((x) => x.holds === false)) {
          cards++;
          const card = page.slice(page.indexOf(`id="ce-${profile}-${p.id.toLowerCase()}"`));
          const body = card.slice(0, card.indexOf('</section>'));
          expect(body, p.id).toContain('What went wrong: at ');
          expect(body, p.id).toContain(p.counterexample!.replay);
          expect(body, p.id).toMatch(/<pre class="mermaid-src" data-name="[^"]+">sequenceDiagram\n/);
          expect(body, p.id).toMatch(/Seed weakness<\/strong> [WLT]\d+ |No seed weakness: the seeds do not name this one/);
        }
        for (const a of result.profiles[profile]!.attacks.filter((x) => !x.blocked)) {
          cards++;
          expect(page).toContain(`id="ce-${profile}-${a.id.toLowerCase()}"`);
        }
      }
      expect(cards).toBeGreaterThan(40);
      expect(count(page, /<section class="card (hardened|compat)" id="ce-/g)).toBe(cards);
      expect(count(page, /<pre class="mermaid-src" data-name="machine /g)).toBe(7);
      expect(count(page, /<pre class="mermaid-src"/g)).toBe(cards + 7);
      expect(count(page, /<tr id="mutant-/g)).toBe(result.mutants.length);
      expect(count(page, /<tr id="req-|<tr id="prop-/g)).toBe(count(read('traceability.md'), /^\| (REQ|PROP)-/gm));
    });

    it('the same result renders the same page, audit.md and junit.xml byte for byte, apart from the date; pqroom report regenerates them', async () => {
      const before = ['index.html', 'audit.md', 'junit.xml'].map(read);
      writeReport(file, dir, new Date(Date.UTC(2001, 0, 1)));
      const again = ['index.html', 'audit.md', 'junit.xml'].map(read);
      expect(again[0]).toContain('2001-01-01T00:00:00.000Z');
      for (let i = 0; i < 3; i++) expect(again[i]!.replace(DATE, 'DATE')).toBe(before[i]!.replace(DATE, 'DATE'));
      const out: string[] = [];
      expect(await report(['--in', file], (s) => out.push(s))).toBe(auditCode);
      expect(read('index.html').replace(DATE, 'DATE')).toBe(before[0]!.replace(DATE, 'DATE'));
      expect(out.join('\n')).toContain(join(dir, 'index.html'));
    });

    it('audit.md has names and statements and describes every counterexample; junit.xml has one case per property × profile, attack × profile and mutant', () => {
      const md = read('audit.md');
      for (const p of specProperties()) expect(md).toContain(`**${p.name}**: ${p.statement.replaceAll('|', '\\|')}`);
      const broken = result.profiles.compat!.properties.filter((p) => p.holds === false);
      for (const p of broken) expect(md).toContain(`### ${p.id} `);
      expect(count(md, /^- Reproduce it, in the folder of audit.json: `npx pqroom replay counterexamples\/[^ `]+\.jsonl`/gm)).toBe(count(read('index.html'), /<code class="replay">/g));
      const junit = read('junit.xml');
      const props = result.profiles.hardened!.properties.length + result.profiles.compat!.properties.length;
      const attacks = result.profiles.hardened!.attacks.length + result.profiles.compat!.attacks.length;
      expect(count(junit, /classname="pqroom\.audit\.properties\./g)).toBe(props);
      expect(count(junit, /classname="pqroom\.audit\.attacks\./g)).toBe(attacks);
      expect(count(junit, /classname="pqroom\.audit\.mutants"/g)).toBe(result.mutants.length + result.equivalentMutants.length);
      if (auditCode === 0) expect(count(junit, /<failure /g)).toBe(0);
      else expect(count(junit, /<failure /g)).toBeGreaterThan(0);
      expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    });

    it('shows as failures, never as passes: a property checked in zero runs, a mutant never run, a vector file with zero cases; labels a result from another commit', async () => {
      const edited = structuredClone(result);
      const prop = edited.profiles.hardened!.properties.find((p) => p.id === 'PROP-03')!;
      Object.assign(prop, { runs: 0 });
      Object.assign(edited.mutants[0]!, { runs: 0 });
      Object.assign(edited.vectors![0]!, { cases: 0, passed: 0 });
      Object.assign(edited, { commit: '0'.repeat(40) });
      const g = join(dir, 'edited.json');
      writeFileSync(g, JSON.stringify(edited));
      const out: string[] = [];
      const warnings: string[] = [];
      expect(await report(['--in', g, '--out', join(dir, 'edited')], (s) => out.push(s), (s) => warnings.push(s))).toBe(1);
      const page = readFileSync(join(dir, 'edited', 'index.html'), 'utf8');
      expect(page).toMatch(/FAIL: \d+ problems/);
      expect(page).toContain('PROP-03 hardened: checked in zero runs');
      expect(page).toContain(`mutant ${edited.mutants[0]!.id}: never run`);
      expect(page).toContain(`vector file ${edited.vectors![0]!.file}: zero cases`);
      expect(page).toContain('result from another commit');
      const junit = readFileSync(join(dir, 'edited', 'junit.xml'), 'utf8');
      expect(junit).toContain('<failure message="checked in zero runs"/>');
      expect(junit).toContain('<failure message="never run"/>');
      expect(junit).toContain('<failure message="zero cases"/>');
      expect(readFileSync(join(dir, 'edited', 'audit.md'), 'utf8')).toContain('RESULT FROM ANOTHER COMMIT');
      // the warning on stderr, the result on stdout (issue 26)
      expect(warnings.join('\n')).toMatch(/note: the result is from commit 000000000000/);
      expect(out.join('\n')).not.toMatch(/note:/);
    });

    it('a traceability gap is an error: a requirement no code cites or no test names, a property no oracle cites', () => {
      const t = (id: string, code: string[], tests: string[]): Trace => ({ id, file: '07-member.md', summary: '', code, tests });
      expect(gaps([t('REQ-MEM-001', [], ['x.test.ts:1']), t('REQ-MEM-002', ['x.ts:1'], []), t('REQ-MEM-003', ['x.ts:1'], ['x.test.ts:2']), t('PROP-01', [], []), t('PROP-02', ['o.ts:1'], [])])).toEqual([
        { id: 'REQ-MEM-001', what: 'no code cites it' },
        { id: 'REQ-MEM-002', what: 'no test names it' },
        { id: 'PROP-01', what: 'no oracle or check cites it' },
      ]);
    });

    it('the requirement table (spec 12.3, 12.4) is shown; an unexplained gap, a stale reason and a refuted equivalence claim show as failures in the header, audit.md and junit.xml', async () => {
      const page = read('index.html');
      expect(page).toContain('id="requirements"');
      for (const q of result.requirementTable) expect(page, q.id).toContain(`id="guard-${q.id.toLowerCase()}"`);
      expect(count(read('junit.xml'), /classname="pqroom\.audit\.requirements"/g)).toBe(result.requirementTable.length);
      const edited = structuredClone(result);
      const gap = edited.requirementTable.find((q) => q.id === 'REQ-MEM-013')!;
      Object.assign(gap, { status: 'gap', mutants: [] });
      Object.assign(edited.requirementTable.find((q) => q.id === 'REQ-LOG-012')!, { status: 'stale', reason: 'no switch' });
      Object.assign(edited.equivalentMutants[0]!, { refuted: true, by: 'ATK-11 → PROP-08', detail: 'broken' });
      const g = join(dir, 'gap.json');
      writeFileSync(g, JSON.stringify(edited));
      expect(await report(['--in', g, '--out', join(dir, 'gap')], () => undefined)).toBe(1);
      const header = readFileSync(join(dir, 'gap', 'index.html'), 'utf8');
      expect(header).toMatch(/FAIL: \d+ problems/);
      expect(header).toContain('REQ-MEM-013 (PROP-04, PROP-30 rest on it): no mutant guards it and spec 12.4 states no reason: an unexplained gap');
      expect(header).toContain('REQ-LOG-012: spec 12.4 says why no mutant guards it, but no-login-kdf-floor does');
      expect(header).toContain(`equivalent mutant ${edited.equivalentMutants[0]!.id} (${edited.equivalentMutants[0]!.removes}) refuted`);
      expect(readFileSync(join(dir, 'gap', 'audit.md'), 'utf8')).toContain('| REQ-MEM-013 | PROP-04, PROP-30 | UNEXPLAINED GAP |');
      const junit = readFileSync(join(dir, 'gap', 'junit.xml'), 'utf8');
      expect(junit).toContain('an unexplained gap');
      expect(junit).toContain('refuted: ATK-11');
    });

    it('pqroom report refuses a missing or malformed result with one line and exit 2', async () => {
      const err: string[] = [];
      expect(await report(['--in', join(dir, 'nope.json')], () => undefined, (s) => err.push(s))).toBe(2);
      writeFileSync(join(dir, 'junk.json'), '{"hello": 1}');
      expect(await report(['--in', join(dir, 'junk.json')], () => undefined, (s) => err.push(s))).toBe(2);
      expect(await report(['--bogus'], () => undefined, (s) => err.push(s))).toBe(2);
      expect(err[0]).toMatch(/^pqroom report: no such file .*nope\.json/);
      expect(err[1]).toMatch(/not a pqroom audit result/);
      expect(err[2]).toMatch(/unknown option --bogus/);
    });
  });

  describe.skipIf(!chromiumPresent('reports/audit-cli.test.ts (the audit report page in Chromium)'))('the audit report page in Chromium', () => {
    beforeAll(take, 600_000);
    let chrome: RunningChromium | undefined;
    const profile = mkdtempSync(join(tmpdir(), 'pqroom-chromium-report-'));
    afterAll(async () => {
      if (running(chrome)) await stopChromium(chrome, 'SIGKILL');
      removeProfile(profile);
    });

    it('opens from disk: every diagram renders to SVG, no console error, no request leaves the machine, and a screenshot is written beside the page', async () => {
      chrome = await launchChromium(profile);
      const page = chrome.page;
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.route('**/*', async (route) => {
        const url = route.request().url();
        requests.push(url);
        if (url.startsWith('file://')) await route.continue();
        else {
          problems.push(`request leaving the machine: ${url}`);
          await route.abort();
        }
      });
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.goto(`file://${join(dir, 'index.html')}`);
      await page.waitForFunction(() => (globalThis as { pqroomDiagrams?: { done: boolean } }).pqroomDiagrams?.done === true, undefined, { timeout: 180_000 });
      const status = await page.evaluate(() => (globalThis as unknown as { pqroomDiagrams: { total: number; rendered: number; errors: string[] } }).pqroomDiagrams);
      const sources = count(read('index.html'), /<pre class="mermaid-src"/g);
      expect(status).toEqual({ total: sources, rendered: sources, errors: [], done: true });
      expect(await page.locator('div.diagram > svg').count()).toBe(sources);
      expect(await page.locator('pre.mermaid-src.failed').count()).toBe(0);
      expect(problems).toEqual([]);
      expect(requests.some((u) => u.endsWith('/mermaid.min.js'))).toBe(true);
      const shot = join(dir, 'screenshot.png');
      await page.screenshot({ path: shot });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      await stopChromium(chrome);
    }, 300_000);
  });
}
