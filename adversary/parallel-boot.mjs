// Worker thread entry of adversary/parallel.ts (spec 11.4): registers the TypeScript loader, then runs the worker.
import { register } from 'tsx/esm/api';

register();
await import('./parallel-worker.ts');
