/**
 * The owner machine's context (spec 6.1): what it holds about invites, joins, commits in flight
 * and removals, and the helpers its phases share.
 */
import { equalBytes, type Bytes } from '../../impl/bytes.ts';
import type { CryptoProvider } from '../../impl/crypto/provider.ts';
import { PqroomError } from '../../impl/errors.ts';
import type { EpochKeys } from '../../impl/keyschedule.ts';
import { JoinRequest, type Invite, type MailboxEntry, type MemberRecord } from '../../impl/messages/index.ts';
import type { BuiltCommit } from '../../impl/protocol/commit.ts';
import type { Identity } from '../../impl/protocol/identity.ts';
import type { Encoded } from '../../impl/protocol/join.ts';
import type { Profile } from '../../impl/suite.ts';
import { rejection, type ClientConfig, type ClientCore } from '../client-core.ts';
import type { ClientEffect, OwnerEvent } from '../events.ts';

/** What an owner machine is started with. */
export interface OwnerInput {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** The room's profile. */
  readonly profile: Profile;
  /** The owner's keys. */
  readonly identity: Identity;
  /** Seed of the deterministic generator (REQ-CRY-011). */
  readonly rngSeed: Bytes;
  /** Tunables. */
  readonly config?: Partial<ClientConfig>;
}

/** An invite the owner issued (REQ-OWN-004): the token is erased once consumed (REQ-OWN-019). */
export interface IssuedInvite {
  /** Its id. */
  readonly inviteId: Bytes;
  /** The invite; `undefined` once consumed (token erased). */
  readonly invite: Invite | undefined;
  /** Expiry (0: none). */
  readonly expiresAt: number;
  /** `posting` until the relay acknowledges; `open`; `pending` during a join; `consumed`. */
  readonly status: 'posting' | 'open' | 'pending' | 'consumed';
}

/** The join being admitted (hardened, REQ-OWN-020). */
export interface PendingJoin {
  /** The invite it consumes. */
  readonly inviteId: Bytes;
  /** The join request, as received. */
  readonly joinRequest: Encoded<JoinRequest>;
  /** The add commit, published after confirmation. */
  readonly built: BuiltCommit;
  /** The keys of the epoch it creates. */
  readonly keys: EpochKeys;
  /** The welcome sent. */
  readonly welcome: Bytes;
  /** When the welcome was sent (REQ-OWN-021). */
  readonly since: number;
}

/** A commit in flight (hardened): installed when the relay acknowledges it (REQ-OWN-023). */
export interface Publishing {
  /** The commit. */
  readonly built: BuiltCommit;
  /** Its epoch's keys. */
  readonly keys: EpochKeys;
  /** The request carrying it. */
  readonly reqId: number;
  /** Set when the relay refused it: the same bytes are posted again at this time (REQ-OWN-024). */
  readonly retryAt?: number;
}

/** A removal being prepared (REQ-OWN-035): the relay is asked to freeze the member first. */
export interface Freeze {
  /** The member to remove. */
  readonly memberId: Bytes;
  /** The last log index when the relay froze the member (its acknowledgement); unset while the request is in flight. */
  readonly atIndex?: number;
}

/** A compat join answered and awaiting confirmation (REQ-OWN-040). */
export interface CompatJoin {
  /** The invite id the request named. */
  readonly inviteId: Bytes;
  /** The joiner's identity key (claimed). */
  readonly identityPk: Bytes;
  /** The joiner's ML-KEM key (claimed). */
  readonly kemPk: Bytes;
}

/** The owner machine's context. */
export interface OwnerContext extends ClientCore {
  /** Invites issued. */
  readonly invites: readonly IssuedInvite[];
  /** hardened: join requests waiting for the pending commit (REQ-OWN-020). */
  readonly queue: readonly MailboxEntry[];
  /** hardened: the join being admitted. */
  readonly pending: PendingJoin | undefined;
  /** hardened: the commit in flight. */
  readonly publishing: Publishing | undefined;
  /** compat: joins answered, by invite id (hex). */
  readonly compatJoins: Readonly<Record<string, CompatJoin>>;
  /** Removals asked for and not yet committed. */
  readonly removals: readonly Bytes[];
  /** A rotation asked for and not yet committed. */
  readonly rotationWanted: boolean;
  /** hardened: the removal being prepared (REQ-OWN-035). */
  readonly freeze: Freeze | undefined;
  /** No new freeze or commit before this time: set when the relay refuses a freeze (REQ-OWN-035), so a refusing relay gets no request storm. */
  readonly commitHoldUntil: number;
  /**
   * hardened: for each sender (hex member id), one more than the highest `seq` of any
   * `AppMessage` entry of the log naming it, accepted or not, and that entry's epoch: what the
   * relay counts (REQ-REL-018), for a removal's head (REQ-OWN-036). Not security state: it
   * only ever raises a removed member's final head.
   */
  readonly logHeads: Readonly<Record<string, { readonly nextSeq: number; readonly lastEpoch: number }>>;
  /** hardened: each member's pending key update, by hex member id (REQ-OWN-053). */
  readonly updates: Readonly<Record<string, PendingUpdate>>;
}

/** A member's pending key update (REQ-OWN-053): at most one per member, part of the owner's kept state. */
export interface PendingUpdate {
  /** The member's record with the update's certificate. */
  readonly record: MemberRecord;
  /** When the owner accepted it (the update delay runs from here). */
  readonly since: number;
  /** Whether it makes a rotation due at once. */
  readonly urgent: boolean;
}

/** The owner event of type `T`. */
export type Ev<T extends OwnerEvent['type']> = Extract<OwnerEvent, { type: T }>;

/** The rejection effect for a {@link PqroomError} thrown while handling `input`; other errors propagate. */
export function rejected(e: unknown, input: string): ClientEffect {
  if (e instanceof PqroomError) return rejection(e.reqId, e.message, input);
  throw e;
}

/** The context with the issued invite `inviteId` changed by `f`. */
export function setInvite(ctx: OwnerContext, inviteId: Bytes, f: (i: IssuedInvite) => IssuedInvite): OwnerContext {
  return { ...ctx, invites: ctx.invites.map((i) => (equalBytes(i.inviteId, inviteId) ? f(i) : i)) };
}
