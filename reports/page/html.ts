/**
 * HTML for the audit report page (spec 12): a tagged template that escapes every value it is
 * given unless the value is already HTML, and a few helpers. No framework: the page is strings.
 */

/** A piece of HTML that is safe to insert as it is. */
export interface Html {
  readonly html: string;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** Marks a string as HTML (only for strings this module's functions built). */
export function raw(html: string): Html {
  return { html };
}

/** What a template value may be: text (escaped), HTML, a list of either, or nothing. */
export type Part = string | number | Html | readonly Part[] | undefined | null | false;

function render(v: Part): string {
  if (v === undefined || v === null || v === false) return '';
  if (typeof v === 'string' || typeof v === 'number') return esc(v);
  if (Array.isArray(v)) return (v as readonly Part[]).map(render).join('');
  return (v as Html).html;
}

/** The template tag: `` h`<td>${text}</td>` `` escapes `text`; HTML values and lists go in as they are. */
export function h(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return { html: out };
}

/** An id usable in `id=` and `#` links: letters, digits and dashes. */
export function anchor(...parts: readonly string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** A table: header cells, then rows of cells (each cell text or HTML); `cls` classes the table. */
export function table(head: readonly string[], rows: readonly (readonly Part[])[], cls = ''): Html {
  return h`<table${cls ? raw(` class="${esc(cls)}"`) : ''}><thead><tr>${head.map((c) => h`<th>${c}</th>`)}</tr></thead><tbody>${rows.map((r) => h`<tr>${r.map((c) => h`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** A Mermaid source, rendered to SVG in the browser by page.js into the element after it. */
export function diagram(name: string, source: string): Html {
  return h`<pre class="mermaid-src" data-name="${name}">${source}</pre><div class="diagram" data-for="${name}"></div>`;
}
