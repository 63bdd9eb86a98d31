/** `pqroom machines`: JSON and Mermaid output generated from the machine definitions. */
import { describe, expect, it } from 'vitest';
import { main, ROLES } from './cli.ts';
import { describeAll } from './describe.ts';

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(args, (s) => lines.push(s), (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('pqroom machines', () => {
  it('should print every role as JSON with states and transitions', async () => {
    const r = await run(['--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.text) as { role: string; states: string[]; transitions: { event: string; target?: string }[] }[];
    expect(doc.map((m) => m.role)).toEqual(['owner', 'member', 'relay', 'client connection', 'relay connection']);
    expect(doc.find((m) => m.role === 'member')!.states).toEqual(['idle', 'joining', 'confirming', 'member', 'removed', 'failed']);
    expect(doc.every((m) => m.transitions.length > 0)).toBe(true);
  });
  it('should print one Mermaid stateDiagram-v2 per role', async () => {
    const r = await run(['--format', 'mermaid']);
    expect(r.code).toBe(0);
    expect(r.text.match(/^stateDiagram-v2$/gm)).toHaveLength(5);
    expect(r.text).toContain('joining --> confirming : net.mailbox [welcomeAccepted]');
  });
  it('should filter by role and refuse unknown options', async () => {
    expect((await run(['--role', 'relay', '--format', 'json'])).text).toContain('"draining"');
    expect((await run(['--format', 'xml'])).code).toBe(2);
    const nobody = await run(['--role', 'nobody']);
    expect(nobody.code).toBe(2);
    expect(nobody.text).toBe("pqroom machines: --role: no role named 'nobody' (one of owner, member, relay, client connection, relay connection)");
    expect((await run(['--help'])).text).toMatch(/^usage: pqroom machines/);
  });
  it('should check --role against the roles the machines describe (the list it reads before loading them)', async () => {
    expect(ROLES).toEqual(describeAll().map((m) => m.role));
    for (const role of ROLES) expect(JSON.parse((await run(['--role', role, '--format', 'json'])).text)).toHaveLength(1);
  });
});
