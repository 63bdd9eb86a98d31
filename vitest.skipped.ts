/**
 * A vitest reporter that ends `npm test` with what was skipped and why (issue 26): the skipped
 * tests by file, and the reasons the tests printed when they decided to skip (a line containing
 * "skipped", e.g. "... skipped: no Chromium at /usr/bin/chromium"), which otherwise scroll away.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** What vitest hands a reporter for a test's console output (the part used here). */
interface ConsoleLog {
  readonly content: string;
}

export default class SkippedSummary implements Reporter {
  private readonly reasons = new Set<string>();

  onUserConsoleLog(log: ConsoleLog): void {
    for (const line of log.content.split('\n')) if (/\bskipped\b/i.test(line) && line.length < 300) this.reasons.add(line.trim());
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    const byFile: string[] = [];
    let total = 0;
    for (const m of modules) {
      const skipped = [...m.children.allTests('skipped')];
      if (skipped.length === 0) continue;
      total += skipped.length;
      const notes = [...new Set(skipped.map((t) => (t.result() as { note?: unknown }).note).filter((n): n is string => typeof n === 'string' && n !== ''))];
      byFile.push(`${relative(process.cwd(), m.moduleId)} ${skipped.length}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
    }
    const why = [...this.reasons];
    const line = total === 0 && why.length === 0 ? 'skipped: nothing' : `skipped: ${total} test(s)${byFile.length > 0 ? ` in ${byFile.join(', ')}` : ''}${why.length > 0 ? `; why: ${why.join('; ')}` : ''}`;
    process.stdout.write(`\n${line}\n`);
  }
}
