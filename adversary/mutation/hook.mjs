// Module loader hook of a generated mutant's worker (adversary/mutation/run.ts): the one file's
// URL loads the mutated source (already compiled to JavaScript); every other module loads as usual.
let target;
let source;

export function initialize(data) {
  target = data.url;
  source = data.source;
}

export async function load(url, context, nextLoad) {
  if (url === target) return { format: 'module', source, shortCircuit: true };
  return nextLoad(url, context);
}
