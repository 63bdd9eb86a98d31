/** `pqroom machines`: JSON and Mermaid output generated from the machine definitions. */
import { describe, expect, it } from 'vitest';
import { main } from './cli.ts';

function run(args: string[]): { code: number; text: string } {
  const lines: string[] = [];
  const code = main(args, (s) => lines.push(s), (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('pqroom machines', () => {
  it('should print every role as JSON with states and transitions', () => {
    const r = run(['--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.text) as { role: string; states: string[]; transitions: { event: string; target?: string }[] }[];
    expect(doc.map((m) => m.role)).toEqual(['owner', 'member', 'relay', 'client connection', 'relay connection']);
    expect(doc.find((m) => m.role === 'member')!.states).toEqual(['idle', 'joining', 'confirming', 'member', 'removed', 'failed']);
    expect(doc.every((m) => m.transitions.length > 0)).toBe(true);
  });
  it('should print one Mermaid stateDiagram-v2 per role', () => {
    const r = run(['--format', 'mermaid']);
    expect(r.code).toBe(0);
    expect(r.text.match(/^stateDiagram-v2$/gm)).toHaveLength(5);
    expect(r.text).toContain('joining --> confirming : net.mailbox [welcomeAccepted]');
  });
  it('should filter by role and refuse unknown options', () => {
    expect(run(['--role', 'relay', '--format', 'json']).text).toContain('"draining"');
    expect(run(['--format', 'xml']).code).toBe(2);
    expect(run(['--role', 'nobody']).code).toBe(2);
    expect(run(['--help']).text).toMatch(/^usage: pqroom machines/);
  });
});
