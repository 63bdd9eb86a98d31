/**
 * Generated mutants (spec 12.2, issue 30): beside the hand-written switches of adversary/mutants.ts,
 * mutants made mechanically at the check sites of `impl/` and `machines/`. A check site is a
 * statement that cites a requirement id (`REQ-…`) in its first lines or in the comment just above
 * it; its conditions are negated or made `false` (the guard removed), its call statements dropped,
 * its bounds moved by one (`<` ↔ `<=`, `>` ↔ `>=`, a number compared with moved by ±1).
 *
 * Found with the TypeScript parser (syntax only). A mutant is shown by its file, line, operator
 * and rank among the same operator on that line (its `id`), and is keyed by what does not move
 * when code above it does: its file, the function it is in, its operator and the text it replaces
 * (its `key`). An argument written about it (adversary/mutation/survivors.ts) names the key, so
 * it holds while that text stays in that function and is known stale once it changes.
 *
 * The mutated source reports, through `globalThis.__pqroomMutant` (installed by the runner), when
 * the mutated code is reached and when it computes something the original would not have: a
 * survivor never reached, or reached but never different, is told apart from one that changed
 * the run unnoticed.
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type * as TS from 'typescript';

/**
 * The TypeScript parser, loaded with `require`: the package is CommonJS, and importing its 9 MB as
 * an ES module makes Node and the TypeScript loader scan the whole file for its exports first
 * (0.4 to 0.8 s of CPU in every process that imports this module: each `pqroom mutate`, each
 * mutant's worker, each test file) for nothing; `require` compiles it and no more.
 */
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

/** What a generated mutant does to its site. */
export type Operator =
  /** the condition of an `if`, a ternary or a boolean `return`, negated */
  | 'negate'
  /** the condition of a guard (an `if` whose branch leaves: return, throw, break, continue) made `false`: the check removed */
  | 'no-guard'
  /** a call statement dropped */
  | 'drop-call'
  /** `<` ↔ `<=`, `>` ↔ `>=` */
  | 'boundary'
  /** a number compared with, plus one */
  | 'bound+1'
  /** a number compared with, minus one */
  | 'bound-1';

/** One generated mutant. */
export interface GeneratedMutant {
  /** `file:line:operator` (with `#k` for the k-th, from 0, of the same operator on that line when k > 0): where it is now, for people. */
  readonly id: string;
  /**
   * `file fn operator \`original\`` (with `#k` for the k-th, from 0, of the same text and operator
   * in that function when k > 0): what an argument about it names; it does not change when lines
   * above move.
   */
  readonly key: string;
  /** The named declarations it is in, outermost first, joined with `.` (`openWelcome`, `symbolicCrypto.sign`, an XState setup's `ownerMachine.actions.admit`), or `<module>`. */
  readonly fn: string;
  /** The file, relative to the checkout (`impl/protocol/group.ts`). */
  readonly file: string;
  /** The line of the mutated text (1-based). */
  readonly line: number;
  readonly operator: Operator;
  /** The requirement the site cites (the nearest id). */
  readonly req: string;
  /** The text replaced (whitespace collapsed). */
  readonly original: string;
  /** What replaces it (without the runner's instrumentation; whitespace collapsed). */
  readonly replacement: string;
  /** Offsets of the replaced text in the file. */
  readonly start: number;
  readonly end: number;
  /** The instrumented replacement the runner loads. */
  readonly code: string;
}

const REQ = /REQ-[A-Z]+-\d{3}/g;
const COMPARISONS = new Set([ts.SyntaxKind.LessThanToken, ts.SyntaxKind.LessThanEqualsToken, ts.SyntaxKind.GreaterThanToken, ts.SyntaxKind.GreaterThanEqualsToken]);
const BOOLEAN_OPS = new Set([
  ...COMPARISONS,
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandToken,
  ts.SyntaxKind.BarBarToken,
]);
const SWAP: Readonly<Record<string, string>> = { '<': '<=', '<=': '<', '>': '>=', '>=': '>' };

/** Files the campaign loads but never runs, and why their mutants are left out. */
export const OUT_OF_SCOPE: readonly { readonly files: RegExp; readonly why: string }[] = [
  {
    files: /^impl\/crypto\/(liboqs|native|noble|node)\.ts$/,
    why: 'the real crypto backends: the campaign runs the symbolic backend (Wycheproof and the differential cases test the real ones)',
  },
];

/** The files whose check sites are mutated: `impl/` and `machines/` sources, without tests, test kits, fixtures, benchmarks, the mutation switch itself and {@link OUT_OF_SCOPE}. */
export function candidateFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(posix.join(root, dir), { withFileTypes: true })) {
      const p = posix.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !/\.test\.ts$|testkit\.ts$|\.fixture\.ts$|(^|\/)bench[^/]*\.ts$|^impl\/mutants\.ts$/.test(p)) out.push(p);
    }
  };
  walk('impl');
  walk('machines');
  return out.filter((f) => !OUT_OF_SCOPE.some((x) => x.files.test(f))).sort();
}

/**
 * The files a module loads, following relative imports from `entry` (type-only imports erased, as
 * `verbatimModuleSyntax` erases them). A mutant outside them cannot change a campaign run.
 */
export function loadedFiles(root: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const sf = ts.createSourceFile(file, readFileSync(posix.join(root, file), 'utf8'), ts.ScriptTarget.ES2023, false);
    const specs: string[] = [];
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly && ts.isStringLiteral(st.moduleSpecifier)) {
        const named = st.importClause?.namedBindings;
        const onlyTypes = st.importClause !== undefined && st.importClause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((x) => x.isTypeOnly);
        if (!onlyTypes) specs.push(st.moduleSpecifier.text);
      }
      if (ts.isExportDeclaration(st) && !st.isTypeOnly && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) specs.push(st.moduleSpecifier.text);
    }
    const dyn = (n: TS.Node): void => {
      if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) specs.push(n.arguments[0].text);
      ts.forEachChild(n, dyn);
    };
    dyn(sf);
    for (const s of specs) if (s.startsWith('.')) visit(posix.normalize(posix.join(posix.dirname(file), s)));
  };
  visit(entry);
  return seen;
}

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Whether a statement leaves its block (the branch of a guard). */
function leaves(s: TS.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
  if (ts.isBlock(s)) {
    const last = s.statements[s.statements.length - 1];
    return last !== undefined && leaves(last);
  }
  return false;
}

/** Whether an expression is a condition by its form (a comparison, a logical operator, a negation). */
function booleanForm(e: TS.Expression): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isPrefixUnaryExpression(e)) return e.operator === ts.SyntaxKind.ExclamationToken;
  return ts.isBinaryExpression(e) && BOOLEAN_OPS.has(e.operatorToken.kind);
}

/** The generated mutants of one file's text. */
export function mutantsOf(file: string, text: string): GeneratedMutant[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2023, true, ts.ScriptKind.TS);
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const lines = text.split('\n');
  /** The requirement a statement cites: in its first lines (for an `if`, up to its branch's first line), else in the comment above it. */
  const citedBy = (st: TS.Statement): string | undefined => {
    const first = lineOf(st.getStart(sf));
    let last = Math.min(lineOf(st.end), first + 2);
    if (ts.isIfStatement(st)) {
      const t = st.thenStatement;
      last = lineOf(ts.isBlock(t) && t.statements[0] ? t.statements[0].end : t.getStart(sf));
    }
    for (let l = first; l <= last; l++) {
      const m = lines[l - 1]!.match(REQ);
      if (m) return m[0];
    }
    const comments = ts.getLeadingCommentRanges(text, st.pos) ?? [];
    const above = comments.map((c) => text.slice(c.pos, c.end).match(REQ)).filter((m) => m !== null);
    return above.length > 0 ? above[above.length - 1]![0] : undefined;
  };
  type Raw = Omit<GeneratedMutant, 'id' | 'key'>;
  const raw: Raw[] = [];
  const add = (operator: Operator, req: string, node: TS.Node, replacement: string, code: string): void => {
    const start = node.getStart(sf);
    raw.push({ file, fn: enclosingFunction(node), line: lineOf(start), operator, req, original: collapse(node.getText(sf)), replacement: collapse(replacement), start, end: node.end, code });
  };
  const H = 'globalThis.__pqroomMutant';
  const visit = (n: TS.Node, site: string | undefined): void => {
    if (ts.isStatement(n) && !ts.isBlock(n) && !ts.isFunctionDeclaration(n) && !ts.isClassDeclaration(n)) site = citedBy(n) ?? (ts.isVariableStatement(n) || ts.isExpressionStatement(n) || ts.isReturnStatement(n) || ts.isIfStatement(n) ? undefined : site);
    if (ts.isFunctionLike(n) && !ts.isArrowFunction(n) && !ts.isFunctionExpression(n)) site = undefined;
    if (site !== undefined) {
      const cond = ts.isIfStatement(n) ? n.expression : ts.isConditionalExpression(n) ? n.condition : ts.isReturnStatement(n) && n.expression && booleanForm(n.expression) ? n.expression : undefined;
      if (cond) {
        const t = cond.getText(sf);
        add('negate', site, cond, `!(${t})`, `${H}.hit(!(${t}))`);
        if (ts.isIfStatement(n) && leaves(n.thenStatement)) add('no-guard', site, cond, 'false', `${H}.guard(${t})`);
      }
      if (ts.isExpressionStatement(n)) {
        const e = ts.isAwaitExpression(n.expression) ? n.expression.expression : n.expression;
        if (ts.isCallExpression(e)) add('drop-call', site, n, ';', `${H}.hit(0);`);
      }
      if (ts.isBinaryExpression(n) && COMPARISONS.has(n.operatorToken.kind)) {
        const op = n.operatorToken.getText(sf);
        const l = n.left.getText(sf);
        const r = n.right.getText(sf);
        add('boundary', site, n, `${l} ${SWAP[op]} ${r}`, `${H}.cmp(${l}, ${r}, '${op}', '${SWAP[op]}', 0, 0)`);
        for (const [side, lit] of [['l', n.left], ['r', n.right]] as const) {
          if (!ts.isNumericLiteral(lit)) continue;
          const v = Number(lit.text);
          for (const d of [1, -1]) {
            const moved = side === 'l' ? `${v + d} ${op} ${r}` : `${l} ${op} ${v + d}`;
            add(d > 0 ? 'bound+1' : 'bound-1', site, n, moved, `${H}.cmp(${l}, ${r}, '${op}', '${op}', ${side === 'l' ? d : 0}, ${side === 'r' ? d : 0})`);
          }
        }
      }
    }
    ts.forEachChild(n, (c) => visit(c, site));
  };
  visit(sf, undefined);
  // the same operator on the same line (the id), the same text and operator in the same function (the key): ranked by position
  const rank = new Map<string, number>();
  const ranked = (base: string): string => {
    const k = rank.get(base) ?? 0;
    rank.set(base, k + 1);
    return k === 0 ? base : `${base}#${k}`;
  };
  return raw
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((m) => ({ id: ranked(`${m.file}:${m.line}:${m.operator}`), key: ranked(mutantKey(m)), ...m }));
}

/** The key of a mutant (or of an argument) without its rank: `file fn operator \`original\``. */
export function mutantKey(m: { readonly file: string; readonly fn: string; readonly operator: Operator; readonly original: string }): string {
  return `${m.file} ${m.fn} ${m.operator} \`${m.original}\``;
}

/**
 * The named declarations around `node`, outermost first, joined with `.`: functions, classes,
 * methods, and the variables and object properties a function is assigned to (an XState machine's
 * actions and guards are properties of its setup), or `<module>`. A variable or property with no
 * function between it and the mutant (`const id = a ? b : c`) names nothing.
 */
function enclosingFunction(node: TS.Node): string {
  const named = (x: TS.Node | undefined): string | undefined => (x && (ts.isIdentifier(x) || ts.isStringLiteral(x) || ts.isPrivateIdentifier(x) || ts.isNumericLiteral(x)) ? x.text : undefined);
  const names: string[] = [];
  let inFunction = false;
  for (let n: TS.Node | undefined = node.parent; n !== undefined; n = n.parent) {
    let name: string | undefined;
    if (ts.isConstructorDeclaration(n)) name = 'constructor';
    else if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n)) name = named(n.name);
    else if (inFunction && (ts.isVariableDeclaration(n) || ts.isPropertyAssignment(n) || ts.isPropertyDeclaration(n))) name = named(n.name);
    if (ts.isFunctionLike(n)) inFunction = true;
    if (name !== undefined) names.unshift(name);
  }
  return names.length > 0 ? names.join('.') : '<module>';
}

/** Every generated mutant of the files `entry` loads (relative to `root`), in file order. */
export function generateMutants(root: string, entry = 'adversary/mutation/campaign.ts'): GeneratedMutant[] {
  const loaded = loadedFiles(root, entry);
  return candidateFiles(root)
    .filter((f) => loaded.has(f))
    .flatMap((f) => mutantsOf(f, readFileSync(posix.join(root, f), 'utf8')));
}

/** The mutated, instrumented text of the mutant's file. */
export function mutatedText(root: string, m: GeneratedMutant): string {
  const text = readFileSync(posix.join(root, m.file), 'utf8');
  if (collapse(text.slice(m.start, m.end)) !== m.original) throw new Error(`${m.id}: the file changed since the mutant was generated`);
  return text.slice(0, m.start) + m.code + text.slice(m.end);
}
