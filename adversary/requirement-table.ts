/**
 * The requirement → mutant table of the audit (spec 12.3, 12.4; issue 29 F3): every requirement
 * that a property rests on, the properties resting on it, and what guards its check in the
 * campaign: the mutants that switch it off (spec 12.2), an equivalent mutant with its argument,
 * or the reason spec 12.4 states why there is none. A requirement with none of these is an
 * unexplained gap, and the audit fails on it.
 */

/** One requirement a property rests on, and what guards it. */
export interface RequirementRow {
  /** `REQ-XXX-nnn`. */
  readonly id: string;
  /** The properties that rest on its check (spec 12.3). */
  readonly properties: readonly string[];
  /** The mutants that switch its check off (spec 12.2). */
  readonly mutants: readonly string[];
  /** An equivalent mutant of it: the check that stops the same attacks instead, and the argument. */
  readonly equivalent?: { readonly id: string; readonly stoppedBy: string; readonly why: string };
  /** Why no mutant guards it (spec 12.4), when none does. */
  readonly reason?: string;
  /**
   * `mutant`, `equivalent` or `reason`: what guards it; `gap`: nothing (an unexplained gap, a
   * failure); `stale`: spec 12.4 gives a reason although a mutant exists (the reason says something false).
   */
  readonly status: 'mutant' | 'equivalent' | 'reason' | 'gap' | 'stale';
}

/** What the table is made from: spec 12.3, spec 12.4, and the mutant lists. */
export interface RequirementTableInput {
  /** Property → the requirements whose checks it rests on (spec 12.3). */
  readonly restsOn: ReadonlyMap<string, readonly string[]>;
  /** Requirement → why no mutant removes its check (spec 12.4). */
  readonly reasons: ReadonlyMap<string, string>;
  readonly mutants: readonly { readonly id: string; readonly removes: string }[];
  readonly equivalents: readonly { readonly id: string; readonly removes: string; readonly stoppedBy: string; readonly why: string }[];
}

/** The table, one row per requirement some property rests on, in id order. */
export function requirementTable(x: RequirementTableInput): RequirementRow[] {
  const props = new Map<string, string[]>();
  for (const [prop, reqs] of x.restsOn) for (const r of reqs) props.set(r, [...(props.get(r) ?? []), prop]);
  return [...props.keys()].sort().map((id) => {
    const mutants = x.mutants.filter((m) => m.removes === id).map((m) => m.id);
    const eq = x.equivalents.find((m) => m.removes === id);
    const reason = x.reasons.get(id);
    const guarded = mutants.length > 0 || eq !== undefined;
    const status = guarded ? (reason !== undefined ? 'stale' : mutants.length > 0 ? 'mutant' : 'equivalent') : reason !== undefined ? 'reason' : 'gap';
    return {
      id,
      properties: [...props.get(id)!].sort(),
      mutants,
      ...(eq ? { equivalent: { id: eq.id, stoppedBy: eq.stoppedBy, why: eq.why } } : {}),
      ...(reason !== undefined ? { reason } : {}),
      status,
    };
  });
}

/** The rows the audit fails on: an unexplained gap, or a reason stated for a requirement a mutant guards. */
export function unexplained(rows: readonly RequirementRow[]): RequirementRow[] {
  return rows.filter((r) => r.status === 'gap' || r.status === 'stale');
}

/** Requirement ids in a table cell (`REQ-MEM-013, REQ-MEM-021`; `–` for none). */
export function reqIds(cell: string): string[] {
  return [...cell.matchAll(/\bREQ-[A-Z]+-\d{3}\b/g)].map((m) => m[0]);
}
