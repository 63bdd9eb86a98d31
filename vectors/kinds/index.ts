/** Every vector kind, in the order files are generated and verified. */
import { fingerprintsKind, inviteTextKind, malformedKind, messagesKind } from './encoding.ts';
import type { VectorKind } from './kind.ts';
import { aeadKind, drbgKind, kemKind, labelsKind, signaturesKind } from './primitives.ts';
import { handshakeKind, keyScheduleKind } from './schedule.ts';
import { relayConformanceKind } from './relay.ts';
import { updateFlowKind } from './update.ts';

/** All kinds; each owns one file. */
export const VECTOR_KINDS: readonly VectorKind[] = [
  labelsKind,
  aeadKind,
  drbgKind,
  kemKind,
  signaturesKind,
  fingerprintsKind,
  messagesKind,
  malformedKind,
  inviteTextKind,
  keyScheduleKind,
  handshakeKind,
  relayConformanceKind,
  // added later (issue 28): its own file, so that every other file keeps its bytes
  updateFlowKind,
];

export type { VectorKind } from './kind.ts';
