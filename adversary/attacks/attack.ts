/**
 * What a named attack of spec 11.4 is: its id, title, seed weakness and target properties, and for
 * a room attack the plan and the moves the harness makes around it (the fields of {@link Attack});
 * the helpers the families share.
 */
import type { CryptoProvider } from '../../impl/crypto/provider.ts';
import type { ReqId } from '../../impl/errors.ts';
import { simSeed } from '../../impl/keyschedule.ts';
import { createIdentity } from '../../impl/protocol/identity.ts';
import { deterministicRng } from '../../impl/rng.ts';
import type { Profile } from '../../impl/suite.ts';
import type { PropId } from '../oracles/index.ts';
import type { Plan } from '../relay.ts';

/** What every named attack of spec 11.4 says of itself, whichever world it runs in (room, login, trust). */
export interface NamedAttack {
  /** `ATK-nn` of spec 11.4. */
  readonly id: string;
  /** What the adversary does. */
  readonly title: string;
  /** The seed weakness it exercises (spec 11.4). */
  readonly weakness: string;
  /** The properties it targets. */
  readonly props: readonly PropId[];
  /** What compat must show: `broken` (default: a counterexample to one of `props`) or `blocked` (spec 12 says the property holds in compat). */
  readonly compat?: 'broken' | 'blocked';
  /**
   * An open finding: this attack breaks the hardened profile today. The audit reports it as
   * broken with its counterexample (never as blocked), the tests assert that it still breaks
   * (so that the fix is noticed), and mutant hunting leaves it out.
   */
  readonly openFinding?: string;
}

/** A named attack on a room. */
export interface Attack extends NamedAttack {
  /** The plan, by profile (the chat and rotation messages differ). */
  readonly plan: (profile: Profile) => Plan;
  /** Rotation period for the run (default 15, so that a run sees several epochs). */
  readonly rotateEvery?: number;
  /** Members the adversary controls (CAP-16): it holds their keys and everything they hold. */
  readonly controlled?: readonly string[];
  /** A member the owner removes after the first round of chat. */
  readonly removes?: string;
  /** Leak the current epoch secret (compat: room key) after the first round of chat (CAP-17). */
  readonly leak?: boolean;
  /** After the first round of chat, this member's ML-KEM private keys leak to the adversary (CAP-17). */
  readonly leakKem?: string;
  /**
   * A member's full compromise (CAP-17, ATK-10c): after the first round of chat its ML-KEM private
   * keys and the current epoch secret (compat: room key) leak together; then its user asks for a
   * key update (REQ-MEM-052; compat has none).
   */
  readonly compromise?: string;
  /** This member's user asks for a key update once the plan is armed (REQ-MEM-052; compat: refused). */
  readonly updateEarly?: string;
  /** With `removes` (controlled): once removed, the member hands the owner a key update of its own, through the relay (ATK-30b, hardened). */
  readonly updateAfterRemoval?: boolean;
  /** With `compromise`: a second member compromised at the same moment (its keys leak; its user asks for an update too). */
  readonly compromiseAlso?: string;
  /** An injected join request for an invite id the owner never issued (CAP-06, W1). */
  readonly injectJoin?: boolean;
  /**
   * CAP-12 (W1): after the first round of chat the owner issues an invite that no one redeems yet;
   * the relay claims it at once, as its own principal, with a join request of its own (its own
   * keys, a guessed token), through the relay logic (the invite is `claimed` by the adversary).
   */
  readonly claimInvite?: boolean;
  /** A fourth member, dave, joins after the first round of chat and fetches history. */
  readonly lateJoin?: boolean;
  /** After the first round of chat, a controlled member sends a message claiming another member as sender (CAP-16). */
  readonly forge?: { readonly by: string; readonly as: string };
  /** After the first round of chat, the relay delivers to this member a rotation commit it signed itself (CAP-09, hardened). */
  readonly forgeCommitTo?: string;
  /** A client named `name` connects claiming `victim`'s identity key (CAP-13). */
  readonly impostor?: { readonly name: string; readonly victim: string };
  /** A network adversary answers every handshake (CAP-18). */
  readonly mitm?: 'swap-key' | 'forged-signature';
  /** After the removal, the removed (controlled) member's next message is put in another member's delivery: a backdated message (CAP-16, CAP-09). */
  readonly backdateTo?: string;
  /** With `backdateTo`: the message goes into the epoch after the removal, whose secret leaked to the adversary (CAP-17). */
  readonly backdateIntoLeakedEpoch?: boolean;
  /**
   * With `lateJoin` and `leak` (CAP-16, CAP-17, CAP-09): once dave, a controlled late joiner, is in,
   * the relay puts in place of this member's next delivery dave's first message, signed by dave but
   * sealed in the leaked epoch (compat: generation), one before dave was added (ATK-28c).
   */
  readonly sendBeforeJoinTo?: string;
  /** The late joiner's invite token leaks to the adversary (CAP-17), which answers its join request with a welcome of its own (hardened). */
  readonly forgeWelcome?: boolean;
  /**
   * CAP-09, CAP-10 (hardened): the relay refuses the owner's first rotation commit with `reason`
   * but keeps it, lets the owner's next commit for the same epoch through, and shows the first
   * one to `to` alone (later commits withheld from it).
   */
  readonly fork?: { readonly to: string; readonly reason: ReqId };
  /**
   * CAP-02, CAP-09, CAP-16 (hardened): the relay drops the confirmations of `by` (a controlled
   * late joiner), so the owner's join times out; it shows `to` the add commit that `by` found in
   * its welcome, and withholds later commits from `to`.
   */
  readonly welcomeFork?: { readonly by: string; readonly to: string };
  /**
   * CAP-12 (W11): a second invitee, `erin`, holds the late joiner's invite too and joins at the
   * same time; the relay delivers both join requests to the owner (the second one, which it would
   * refuse, into the owner's mailbox) and every welcome for that invite to both.
   */
  readonly raceJoin?: boolean;
  /** CAP-08: the relay puts its own ML-KEM key into this (late) joiner's join request. */
  readonly substituteJoinKem?: string;
  /**
   * CAP-09, CAP-16 (W10): a client of this name, which the adversary controls and the owner never
   * admits, is added to every roster the relay serves (members ask for it twice in every run).
   */
  readonly ghost?: string;
  /**
   * CAP-16 with an honest relay: before its removal the (controlled) member to be removed sends,
   * as itself, a message no one accepts (its signature broken), which the relay counts (ATK-29).
   */
  readonly junkBeforeRemoval?: boolean;
  /** CAP-09 (W10): every roster the relay serves is the first one it served (members ask for it before and after the removal). */
  readonly rollbackRosters?: boolean;
  /** The relay is honest (only members misbehave): a removal that never happens is then a PROP-27 violation. */
  readonly honestRelay?: boolean;
  /** The owner's join timeout for the run (REQ-OWN-021; default 10 minutes). */
  readonly joinTimeoutMs?: number;
  /** A fault schedule the attack runs under (`--faults` syntax, spec 8.12): crashes, partitions, a lossy network. */
  readonly faults?: string;
  /** The lifetime of the owner's invites in the run (REQ-OWN-005; default 7 days). */
  readonly inviteLifetimeMs?: number;
  /**
   * With `lateJoin`: the late joiner's join is expected to fail (its invite expires on the way),
   * so the run goes on after a bounded wait instead of requiring it; with a number, the late
   * joiner uses its invite only that many ms after the owner issued it.
   */
  readonly lateJoinMayFail?: true | number;
  /**
   * CAP-06 across rooms (ATK-30e, hardened): after the first round of chat, the relay hands `to`,
   * the owner of the first room, the key update `from` (a client of the second room) posted
   * there, signed for that room, as a mailbox entry of the first room under a fresh index.
   */
  readonly relabelUpdate?: { readonly from: string; readonly to: string };
  /** Run a second room beside the first (owner2 and alice2: the owner's and alice's people again, spec 7.11); a plan naming either client gets it too. */
  readonly annex?: boolean;
}

/** The label of a chat message delivered in `p` (what a plan step matches). */
export const chat = (p: Profile): string => (p === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)');
/** The label of a rotation delivered in `p`. */
export const rotation = (p: Profile): string => (p === 'hardened' ? 'RoomDelivery(Commit)' : 'RoomDelivery(CompatRotation)');

/** The adversary's own keys (it may act as a client: CAP-06, CAP-13). */
export function adversaryIdentity(c: CryptoProvider, seed: number) {
  return createIdentity(c, deterministicRng(simSeed(c, seed, 'adversary', 0), c.hmacSha256));
}
