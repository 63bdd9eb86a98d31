/**
 * Attacks on connections and suites (spec 11.4: ATK-06, ATK-20, ATK-27, ATK-27b): a connection
 * claiming another member's identity, a suite downgrade, the relay's transport key swapped or its
 * handshake signed by a network adversary.
 */
import { chat, type Attack } from './attack.ts';

/** Attacks on connections and suites. */
export const CONNECTION_ATTACKS: readonly Attack[] = [
  {
    id: 'ATK-20',
    title: 'ciphersuite downgrade: a delivery re-labelled with another suite',
    weakness: '-',
    props: ['PROP-17'],
    compat: 'blocked',
    plan: (p) => [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: chat(p), nth: 3 }, path: 'header.suite', mutation: { op: 'add', by: 1 } }],
  },
  {
    id: 'ATK-06',
    title: "a connection claims another member's identity key at the relay",
    weakness: 'W3',
    props: ['PROP-20'],
    plan: () => [],
    impostor: { name: 'mallory', victim: 'alice' },
  },
  {
    id: 'ATK-27',
    title: "the relay's transport key swapped by a network adversary",
    weakness: 'W12',
    props: ['PROP-19'],
    plan: () => [],
    mitm: 'swap-key',
  },
  {
    id: 'ATK-27b',
    title: "a network adversary presents the pinned relay key and signs the handshake with its own",
    weakness: 'W12',
    props: ['PROP-19'],
    compat: 'blocked',
    plan: () => [],
    mitm: 'forged-signature',
  },
];
