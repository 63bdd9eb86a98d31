// The audit report page's only script (inlined into index.html by reports/page/page.ts): renders
// every Mermaid source on the page to SVG with mermaid.min.js, copied beside the page, and leaves
// its tally in window.pqroomDiagrams = { total, rendered, errors, done } (the browser test reads it).
(async () => {
  const status = { total: 0, rendered: 0, errors: [], done: false };
  window.pqroomDiagrams = status;
  const sources = [...document.querySelectorAll('pre.mermaid-src')];
  status.total = sources.length;
  const mermaid = window.mermaid;
  if (!mermaid) {
    status.errors.push('mermaid.min.js did not load: it must be beside index.html');
    for (const pre of sources) pre.classList.add('failed');
    status.done = true;
    return;
  }
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', maxTextSize: 500000, maxEdges: 2000, sequence: { showSequenceNumbers: false, wrap: false, mirrorActors: false }, state: { useMaxWidth: true } });
  for (const [i, pre] of sources.entries()) {
    try {
      const { svg } = await mermaid.render(`pqroom-diagram-${i}`, pre.textContent);
      const target = pre.nextElementSibling;
      target.innerHTML = svg;
      status.rendered++;
    } catch (e) {
      status.errors.push(`${pre.dataset.name}: ${e && e.message ? e.message : String(e)}`);
      pre.classList.add('failed');
    }
  }
  status.done = true;
})();
