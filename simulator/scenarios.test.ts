/**
 * The end-to-end room scenario (spec 6, 7, 8), in memory, both profiles: an owner creates a room,
 * three invitees join through the relay, 250 messages go round with at least two rotations, an
 * offline member returns and catches up, (hardened) a member is removed and reads nothing after,
 * a new member joins late; every honest member ends with exactly what it is entitled to.
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../impl/crypto/node.ts';
import { roomScenario } from './scenarios.ts';
import { createWorld } from './world.ts';

describe('the room scenario end to end', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`should pass every check in the ${profile} profile`, () => {
      const world = createWorld({ seed: 3, profile, crypto: nodeCrypto });
      const result = roomScenario(world);
      const failed = result.checks.filter((c) => !c.ok);
      expect(failed, failed.map((f) => `${f.name}: ${f.detail}`).join('\n')).toEqual([]);
      expect(result.sent).toHaveLength(250);
      expect(result.checks.length).toBeGreaterThan(profile === 'hardened' ? 10 : 6);
      if (profile === 'hardened') expect(result.removed).toEqual(['bob']);
    });
  }
});
