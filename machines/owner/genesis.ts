/** The owner's first phase (spec 6.2): a fresh room id and the genesis commit (hardened) or room key (compat), sent in `CreateRoom`. */
import type { Bytes } from '../../impl/bytes.ts';
import { encode } from '../../impl/codec.ts';
import { INITIAL_INIT_SECRET } from '../../impl/keyschedule.ts';
import { CompatMember, CreateRoom } from '../../impl/messages/index.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH } from '../../impl/protocol/commit.ts';
import { newCompatView } from '../../impl/protocol/compat-group.ts';
import { epochRecordOf, newGroupView } from '../../impl/protocol/group.ts';
import { memberRecordOf, newestKem } from '../../impl/protocol/identity.ts';
import { request, withRng, type Out } from '../client-core.ts';
import type { OwnerContext } from './context.ts';

/** REQ-OWN-001, REQ-OWN-002: a fresh room id and the genesis (hardened) or room key (compat). */
export function createRoom(ctx: OwnerContext, now: number): Out<OwnerContext> {
  const { ctx: c1, value: roomId } = withRng(ctx, (rng) => rng.bytes(16));
  if (ctx.profile === 'hardened') {
    const { ctx: c2, value: built } = withRng(c1, (rng) =>
      buildCommit(ctx.crypto, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(ctx.identity, 'owner', 0)], removes: [], roster: [], heads: [], owner: ctx.identity }),
    );
    const keys = ownerEpochKeys(ctx.crypto, built, INITIAL_INIT_SECRET);
    const group = newGroupView(roomId, ctx.identity.fp, epochRecordOf(ctx.crypto, built.commit, built.roster, keys));
    return request({ ...c2, group }, now, 'create', (req_id) => encode(CreateRoom, { req_id, room_id: roomId, profile: 'hardened', payload: built.commit.bytes }), { roomId, payload: built.commit.bytes } satisfies CreateMeta);
  }
  const { ctx: c2, value: roomKey } = withRng(c1, (rng) => rng.bytes(32));
  const compat = newCompatView(roomId, ctx.identity.fp, { generation: 0, key: roomKey });
  const owner = encode(CompatMember, { identity_pk: ctx.identity.publicKey, kem_pk: newestKem(ctx.identity).publicKey, role: 'owner' });
  return request({ ...c2, compat }, now, 'create', (req_id) => encode(CreateRoom, { req_id, room_id: roomId, profile: 'compat', payload: owner }), { roomId, payload: owner } satisfies CreateMeta);
}

/** What the pending CreateRoom remembers: the room and the payload it posted (its log entry 1, told apart by its bytes without decoding the request again). */
export interface CreateMeta {
  readonly roomId: Bytes;
  readonly payload: Bytes;
}
