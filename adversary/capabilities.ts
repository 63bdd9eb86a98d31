/**
 * The adversary's capabilities (spec 11.2) as data: one entry per `CAP-nn`, with what the
 * harness uses to exercise it today. `via` names plan operations of the malicious relay
 * (`adversary/relay.ts`) or world hooks; an empty `via` is a capability the harness does not
 * exercise yet, and says so in `pending`.
 */

/** One capability. */
export interface Capability {
  /** `CAP-nn`. */
  readonly id: `CAP-${string}`;
  /** Short name. */
  readonly name: string;
  /** How the harness exercises it. */
  readonly via: readonly string[];
  /** What is missing, when `via` is empty or partial. */
  readonly pending?: string;
}

/** Every capability of spec 11.2. */
export const CAPABILITIES: readonly Capability[] = [
  { id: 'CAP-01', name: 'observe', via: ['MaliciousRelay.observed (every frame, both directions)'] },
  { id: 'CAP-02', name: 'drop', via: ['drop'] },
  { id: 'CAP-03', name: 'delay', via: ['delay'] },
  { id: 'CAP-04', name: 'reorder', via: ['swap', 'reindex'] },
  { id: 'CAP-05', name: 'duplicate and replay', via: ['replay', 'replay with reappend'] },
  { id: 'CAP-06', name: 'inject', via: ['inject (generated: a room entry one client got, sent to another under a moved log index)', 'inject across rooms (generated: a message, commit, roster, history page or mailbox page of a second room kept by the same people, sent to a client of the other room as it was or rebound to its room, spec 7.11)', 'Attack.injectJoin (ATK-01: a join request for an invite id never issued)', 'Attack.forgeCommitTo (ATK-07: a commit it signed)', 'Attack.forgeWelcome (ATK-04: a welcome of its own)'] },
  { id: 'CAP-07', name: 'modify and re-encode', via: ['mutate', 'retype'] },
  { id: 'CAP-08', name: 'substitute keys', via: ['Attack.substituteJoinKem (ATK-03: its own ML-KEM key in a join request)', 'Attack.forgeWelcome (ATK-04: a welcome under a key other than the owner the invite names)', 'a served identity key for a peer (ATK-21, ATK-22)', 'a served ML-KEM key rolled back or equivocated (ATK-23)'] },
  { id: 'CAP-09', name: 'forge, replay or roll back rosters and rotations', via: ['replay of commits and rotations', 'retype', 'substitute (a commit the adversary signed: ATK-07)', 'rewrite (a served roster with a ghost member: ATK-05; the roster served before a removal served again: ATK-05b)', 'rollback (generated: an earlier roster or history page served with the current req_id)'] },
  { id: 'CAP-10', name: 'split views', via: ['withhold (per client: ATK-08, ATK-13)', 'freeze (one member kept on an old epoch: ATK-08b)', 'Attack.fork (ATK-19: two commits for one epoch, each shown to one group)', 'Attack.welcomeFork (ATK-19b)'] },
  { id: 'CAP-11', name: 'tamper with, truncate or withhold history', via: ['withhold', 'truncate', 'freeze', 'rollback of HistoryChunk', 'mutate on HistoryChunk'] },
  { id: 'CAP-12', name: 'burn invites', via: ['Attack.injectJoin (ATK-01: a join request of its own for an invite id never issued)', 'Attack.claimInvite (ATK-01b: an issued invite claimed as its own principal, with a guessed token)', 'Attack.raceJoin (ATK-02: two join requests for one invite, both delivered to the owner)'], pending: 'refused joins as such (denial of service, spec 11.3; a claimed invite is refused to its invitee, which is one)' },
  { id: 'CAP-13', name: 'pose as another client towards the relay logic', via: ['post (generated: a recorded request given to the relay again, as its client or another)', 'TapApi.asPrincipal', 'World.addImpostor (a client claiming another identity key)'] },
  { id: 'CAP-14', name: 'pose as the login server', via: ['LoginWorld.tap and inject (ATK-24: a fake server with its own key; ATK-25: replayed and reflected login messages)', 'LoginWorld.relayKeys (ATK-24b, ATK-24c: the relay itself, signing challenges of its choosing with its key)'] },
  { id: 'CAP-15', name: 'know everything public', via: ['MaliciousRelay.observed', 'member ids in plans'] },
  { id: 'CAP-16', name: 'be or control a member', via: ['Attack.controlled (its keys and epochs feed the knowledge closure)', 'Attack.forge (ATK-14: a message claiming another sender)', 'Attack.backdateTo (ATK-28, ATK-28b)', 'Attack.junkBeforeRemoval (ATK-29)', 'Attack.welcomeFork (ATK-19b)'] },
  { id: 'CAP-17', name: 'hold a leaked secret', via: ['Attack.leak (ATK-10: the current epoch secret or room key)', 'Attack.backdateIntoLeakedEpoch (ATK-28b)', 'Attack.forgeWelcome (ATK-04: a leaked invite token)', "Attack.leakKem (ATK-10b: a member's ML-KEM private keys; with an epoch secret too, the limit of spec 12 shown in attacks.test.ts)"] },
  { id: 'CAP-18', name: 'sit on the network with its own relay key', via: ["WorldOptions.mitm: 'swap-key' (its own key) or 'forged-signature' (the pinned key, its own signature)"] },
  { id: 'CAP-19', name: 'steal stored login verifiers', via: ['crackVerifier (the offline dictionary attack of L2) and a compat server impersonated with the verifier (adversary/login-attacks.test.ts)'], pending: 'a named attack in the audit: spec 9.1 promises nothing against a thief of the verifier in either profile (L2), so no property of spec 12 can break; the tests show the attack working' },
  { id: 'CAP-20', name: 'grind key pairs against short fingerprints', via: ['ATK-22 (key pairs ground until 3 hex characters match)'] },
];

/** The capabilities as a Markdown table for the audit report: what exercises each, and what does not yet. */
export function capabilityTable(): string {
  const cell = (t: string): string => t.replaceAll('|', '\\|');
  return [
    '| id | capability | exercised by | not yet exercised |',
    '|---|---|---|---|',
    ...CAPABILITIES.map((c) => `| ${c.id} | ${cell(c.name)} | ${cell(c.via.join('; ') || '-')} | ${cell(c.pending ?? '-')} |`),
  ].join('\n');
}
