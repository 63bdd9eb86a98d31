/**
 * vitest setup (vitest.config.ts): a property test that sets no seed of its own runs on the seed
 * CI drew (`PQROOM_FC_SEED`, see `fc-seeds.ts`), so that a failure in CI replays with it; without
 * one, fast-check draws its own as before. fast-check prints the seed of any failure.
 */
import fc from 'fast-check';
import { drawnSeed } from './fc-seeds.ts';

const seed = drawnSeed();
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
