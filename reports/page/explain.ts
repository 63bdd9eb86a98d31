/**
 * Plain-language explanations for the audit report (spec 11, 12): what an attack plan did, what
 * went wrong in a counterexample, which seed weakness it shows, and what the hardened profile did
 * with the same attack. Plain text; the HTML page and audit.md escape or quote it themselves.
 */
import type { AttackInfo, AttackVerdict, AuditResult, PropertyResult } from '../../adversary/audit.ts';
import type { LoginPlan, LoginPlanStep } from '../../adversary/login-plans.ts';
import type { Match, Plan, PlanBytes, PlanStep } from '../../adversary/relay.ts';
import type { SpecProperty, SpecWeakness } from '../spec.ts';

const ordinal = (n: number): string => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

function frames(m: Match): string {
  const what = m.msg ?? 'frame';
  const who = m.client === undefined ? (m.dir === 'down' ? 'to any client' : 'from any client') : m.dir === 'down' ? `to ${m.client}` : `from ${m.client}`;
  const sender = m.sender === undefined ? '' : ` sent by ${m.sender}`;
  const others = m.toOthers ? ' (not its sender)' : '';
  const after = m.after === undefined ? '' : ` after ${m.after} ms`;
  const before = m.before === undefined ? '' : ` before ${m.before} ms`;
  return `${m.nth === undefined ? `every ${what}` : `the ${ordinal(m.nth)} ${what}`} ${who}${sender}${others}${after}${before}`;
}

/** The bytes a step uses, in words. */
function bytesOf(b: PlanBytes): string {
  const what = 'hex' in b ? `${b.hex.length / 2} bytes it wrote` : `a copy of ${frames(b.recorded)}`;
  return b.mutate === undefined ? what : `${what} with ${b.mutate.path} changed`;
}

/** One step of a relay attack plan (spec 11.2), in words. */
export function describeStep(s: PlanStep): string {
  const f = frames(s.match);
  switch (s.op) {
    case 'drop':
      return `${s.cap}: drops ${f}`;
    case 'delay':
      return `${s.cap}: delays ${f} by ${s.ms} ms`;
    case 'swap':
      return `${s.cap}: holds ${f} back and delivers it after the next one (a reorder)`;
    case 'reindex':
      return `${s.cap}: hands ${f} over under log index ${s.index}, one the client already processed`;
    case 'replay':
      return `${s.cap}: delivers ${f}, and again ${s.afterMs} ms later${s.reappend ? ', appended to the room log as if sent again' : s.to === undefined ? '' : ` to ${s.to}`}`;
    case 'mutate':
      return `${s.cap}: changes the field ${s.path} of ${f} (${s.mutation.op === 'member' ? `to member ${s.mutation.name}'s` : s.mutation.op === 'add' ? `adds ${s.mutation.by}` : s.mutation.op === 'set' ? `sets it to ${JSON.stringify(s.mutation.value)}` : 'flips it'}) and re-encodes it`;
    case 'retype':
      return `${s.cap}: relabels ${f} as ${s.to}`;
    case 'withhold':
      return `${s.cap}: withholds ${f}, live and in history`;
    case 'substitute':
      return `${s.cap}: replaces the payload of ${f} with one it made (${s.craft})`;
    case 'rewrite':
      return `${s.cap}: rewrites ${f} (${s.craft})`;
    case 'truncate':
      return `${s.cap}: truncates history served with ${f} to its first ${s.keep} entries`;
    case 'freeze':
      return `${s.cap}: freezes the client at ${f}: from that log index on it gets no room entry, live or in history`;
    case 'inject':
      return `${s.cap}: when ${f} passes, sends ${bytesOf(s.bytes)} to ${s.to ?? 'that client'} as the relay`;
    case 'post':
      return `${s.cap}: when ${f} passes, gives the relay ${bytesOf(s.bytes)} as a request of ${s.as}`;
    case 'rollback':
      return `${s.cap}: serves, instead of ${f}, the ${ordinal(s.to ?? 1)} earlier one of its kind the client got`;
    case 'crash':
      return `fault: when ${f} passes, ${s.client ?? 'that client'} crashes for ${s.downtimeMs} ms`;
    case 'restart-relay':
      return `fault: when ${f} passes, the relay restarts after ${s.downtimeMs} ms`;
  }
}

/** One step of a generated login adversary (spec 9.6), in words. */
export function describeLoginStep(s: LoginPlanStep): string {
  switch (s.op) {
    case 'drop':
      return `drops the ${ordinal(s.nth)} honest login frame`;
    case 'replay':
      return `delivers the ${ordinal(s.nth)} honest login frame, and replays a copy on ${s.onto === 'same' ? 'its own connection' : s.onto === 'other' ? "the other client's connection" : 'a connection of its own'} when frame ${s.when} passes`;
    case 'reflect':
      return `delivers the ${ordinal(s.nth)} honest login frame and reflects a copy back the other way`;
    case 'edit':
      return `delivers the ${ordinal(s.nth)} honest login frame with byte ${s.at} flipped instead`;
  }
}

/** The steps of a plan or login plan, in words. */
export function describePlan(plan: Plan | undefined, loginPlan: LoginPlan | undefined): string[] {
  return [...(plan ?? []).map(describeStep), ...(loginPlan ?? []).map(describeLoginStep)];
}

/** What the report knows to explain with. */
export interface Glossary {
  readonly properties: ReadonlyMap<string, SpecProperty>;
  readonly weaknesses: ReadonlyMap<string, SpecWeakness>;
  readonly attacks: ReadonlyMap<string, AttackInfo>;
}

/** `PROP-04 (sender authenticity)`. */
export function propName(g: Glossary, id: string): string {
  const p = g.properties.get(id);
  return p ? `${id} (${p.name})` : `${id} (not in spec 12)`;
}

/** The weaknesses named by ids like `W1`, `L1`, `T1` in `text`, each with its sentence; empty for `–`. */
export function weaknessLines(g: Glossary, text: string): string[] {
  return [...text.matchAll(/\b([WLT]\d+)\b/g)].map((m) => {
    const w = g.weaknesses.get(m[1]!);
    return w ? `${w.id} ${w.name}: ${w.text}` : `${m[1]!} (not in spec 11.6)`;
  });
}

function hardenedAnswer(r: AuditResult, attack: string): string {
  const h = r.profiles.hardened?.attacks.find((a) => a.id === attack);
  if (!h) return 'The hardened profile was not run in this campaign.';
  if (!h.blocked) return `The hardened profile did NOT block it either: ${h.broken.map((p) => p).join(', ')} broke.`;
  const ids = [...new Set(h.detected)];
  return ids.length === 0 ? 'The hardened profile blocks the same attack: no property failed.' : `The hardened profile blocks the same attack: honest parties refused or raised ${ids.join(', ')}.`;
}

/** The paragraphs explaining a broken named attack in one profile. */
export function explainAttack(g: Glossary, r: AuditResult, profile: string, v: AttackVerdict): string[] {
  const info = g.attacks.get(v.id);
  const ce = v.counterexample;
  const out: string[] = [];
  out.push(`The adversary (the relay) ${info ? `runs ${v.id}: ${info.title}` : `runs ${v.id}`}, in a room of an owner and three members chatting through rotations.`);
  if (ce) out.push(`What went wrong: at ${ce.violation.t} ms, ${ce.violation.party}: ${ce.violation.detail}. That breaks ${propName(g, ce.violation.prop)}: ${g.properties.get(ce.violation.prop)?.statement ?? ''}`);
  const others = v.broken.filter((p) => p !== ce?.violation.prop);
  if (others.length > 0) out.push(`The same run also breaks ${others.map((p) => propName(g, p)).join(', ')}.`);
  if (profile === 'compat') out.push(v.asSpecified ? `This is what spec 12 says compat shows${info?.compat === 'blocked' ? ` (its target properties ${info.props.join(', ')} hold; the ones broken are other weaknesses)` : ''}.` : `This is NOT what the spec says: ${info?.compat === 'blocked' ? `compat should block ${info.props.join(', ')}` : `compat should break one of ${info?.props.join(', ') ?? 'its target properties'}`}.`);
  else out.push(`This is NOT what the spec says: the hardened profile must block every attack.${v.openFinding ? ` Open finding: ${v.openFinding}.` : ''}`);
  if (profile === 'compat') out.push(hardenedAnswer(r, v.id));
  return out;
}

/** The paragraphs explaining a broken property in one profile. */
export function explainProperty(g: Glossary, r: AuditResult, profile: string, p: PropertyResult): string[] {
  const ce = p.counterexample;
  if (!ce) return [];
  const out: string[] = [];
  const spec = g.properties.get(p.id);
  out.push(`${propName(g, p.id)} says: ${spec?.statement ?? '(not in spec 12)'}`);
  if (ce.attack === 'generated' || ce.attack === 'generated-login') {
    const steps = describePlan(ce.plan, ce.loginPlan);
    out.push(`Found by a generated ${ce.attack === 'generated' ? 'attack plan' : 'login adversary'} (fast-check, seed ${ce.seed}), shrunk to ${steps.length} step${steps.length === 1 ? '' : 's'} of the relay, listed below.`);
  } else {
    const info = g.attacks.get(ce.attack);
    out.push(`Found by the named attack ${ce.attack}${info ? `: ${info.title}` : ''}.`);
  }
  out.push(`What went wrong: at ${ce.violation.t} ms, ${ce.violation.party}: ${ce.violation.detail}.`);
  if (profile === 'compat') {
    out.push(p.asSpecified ? `Spec 12 says compat breaks it (${spec?.compat ?? '?'}): the harness found the weakness, as it must.` : 'Spec 12 says compat keeps this property: this is a finding against the spec.');
    const h = r.profiles.hardened?.properties.find((x) => x.id === p.id);
    if (h) out.push(h.holds === true ? `In the hardened profile it held in all ${h.runs} runs that checked it.` : h.holds === false ? 'In the hardened profile it broke too.' : 'In the hardened profile it was not checked.');
  } else out.push('This is NOT what the spec says: every property must hold in the hardened profile.');
  return out;
}

/** The seed weaknesses a broken item shows: the attack's, or those spec 12 names for the property. */
export function weaknessesOf(g: Glossary, attack: string | undefined, prop: string | undefined): string[] {
  const a = attack === undefined ? undefined : g.attacks.get(attack);
  if (a && a.weakness !== '-' && a.weakness !== '–') return weaknessLines(g, a.weakness);
  const p = prop === undefined ? undefined : g.properties.get(prop);
  return p ? weaknessLines(g, p.compat) : [];
}
