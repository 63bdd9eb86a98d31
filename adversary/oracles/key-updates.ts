/**
 * The key update oracle of spec 12: PROP-31 (hardened), an honest member makes a key update of
 * its room no later than when it installs the `K`-th epoch after the one that committed its
 * current key (REQ-MEM-052), judged on the member's own records: the epoch its add or its last
 * committed update installed, the epochs it installed since, and the updates it made.
 */
import { DEFAULT_CLIENT_CONFIG, type ClientCore } from '../../machines/client-core.ts';
import type { ClientNode } from '../../simulator/world.ts';
import type { OracleContext } from './context.ts';

/** PROP-31 over the honest members of a hardened run; call after every step. */
export function keyUpdateOracle(run: OracleContext): (node: ClientNode) => void {
  const { world, violate } = run;
  const k = world.options.clientConfig?.keyUpdateEpochs ?? DEFAULT_CLIENT_CONFIG.keyUpdateEpochs;
  // per member: how far its statuses were read, when its current key was committed, and whether it made an update since
  const seen = new Map<string, { read: number; committedEpoch?: number; madeSince: boolean; reported?: number }>();
  return (node) => {
    if (!run.hardened || node.role === 'owner') return;
    const st = seen.get(node.name) ?? { read: 0, madeSince: false };
    for (; st.read < node.statuses.length; st.read++) {
      const s = node.statuses[st.read]!.status;
      // its add committed its first key; a committed update its next one (an update made before that commit does not count after it)
      if (s.kind === 'joined' || s.kind === 'key-updated') {
        st.committedEpoch = s.epoch;
        st.madeSince = false;
      }
      if (s.kind === 'key-update') st.madeSince = true;
    }
    seen.set(node.name, st);
    const group = (node.snapshot.context as ClientCore).group;
    if (st.committedEpoch === undefined || !group || group.removed || st.madeSince) return;
    if (group.epoch - st.committedEpoch < k || st.reported === st.committedEpoch) return;
    st.reported = st.committedEpoch; // once per key
    violate('PROP-31', node.name, `installed epoch ${group.epoch}, ${group.epoch - st.committedEpoch} epochs after the one that committed its key (${st.committedEpoch}), with no key update made since (K = ${k})`);
  };
}
