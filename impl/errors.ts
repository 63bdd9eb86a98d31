/** Typed errors: every failure names the requirement id of the spec that it enforces (spec 1.4). */
import { enforced, withCheckInForce } from './mutants.ts';
import type { ReqId } from './reqid.ts';

export type { ReqId } from './reqid.ts';

/** Base class of every pqroom error; `reqId` names the requirement that failed. */
export class PqroomError extends Error {
  /** The requirement of the spec that this error enforces. */
  readonly reqId: ReqId;
  /** An error for `reqId`; the message is prefixed with the id. */
  constructor(reqId: ReqId, message: string) {
    super(`${reqId}: ${message}`);
    this.name = 'PqroomError';
    this.reqId = reqId;
  }
}

/** Why a decoder rejected its input (spec 2.3). */
export type DecodeReason =
  | 'truncated'
  | 'trailing'
  | 'version'
  | 'suite'
  | 'type'
  | 'unexpected-type'
  | 'length'
  | 'count'
  | 'enum'
  | 'bool'
  | 'uint64'
  | 'utf8'
  | 'order'
  | 'value'
  | 'size'
  | 'text-form';

/** A decoder rejected malformed bytes. `path` locates the field, e.g. `Commit.adds[0].kem_cert.version`. */
export class DecodeError extends PqroomError {
  /** The kind of malformation. */
  readonly reason: DecodeReason;
  /** The field at which decoding failed. */
  readonly path: string;
  /** A decoding failure of `reason` at field `path`. */
  constructor(reqId: ReqId, reason: DecodeReason, path: string, message: string) {
    super(reqId, `${path}: ${message}`);
    this.name = 'DecodeError';
    this.reason = reason;
    this.path = path;
  }
}

/** An encoder was given a value that has no valid encoding (a programming error, never input). */
export class EncodeError extends PqroomError {
  /** An encoding failure at field `path`. */
  constructor(reqId: ReqId, path: string, message: string) {
    super(reqId, `${path}: ${message}`);
    this.name = 'EncodeError';
  }
}

/** A protocol check failed: the input is rejected and security state is unchanged (spec 1.4). */
export class ProtocolError extends PqroomError {
  /** A rejection for `reqId`. */
  constructor(reqId: ReqId, message: string) {
    super(reqId, message);
    this.name = 'ProtocolError';
  }
}

/** A cryptographic operation failed (AEAD open, key check). */
export class CryptoError extends PqroomError {
  /** A cryptographic failure for `reqId`. */
  constructor(reqId: ReqId, message: string) {
    super(reqId, message);
    this.name = 'CryptoError';
  }
}

/** Throws a {@link ProtocolError} for `reqId` unless `condition` holds. */
export function check(condition: boolean, reqId: ReqId, message: string): asserts condition {
  if (!condition && enforced(reqId)) throw new ProtocolError(reqId, message);
}

/**
 * Runs checks of `reqId` that stand or fall together, where a later one relies on an earlier one
 * holding (a mutant skipping one alone would crash on the next): all in force, and the switch is
 * asked only once one fails, so the mutant of `reqId` drops that failure (the checks removed as
 * one) and a run whose checks all hold never asks about it, which is what lets the audit's shared
 * hunts make that run once for every mutant (`withChecksConsulted` in mutants.ts).
 */
export function checkTogether(reqId: ReqId, f: () => void): void {
  try {
    withCheckInForce(reqId, f);
  } catch (e) {
    if (e instanceof PqroomError && e.reqId === reqId && !enforced(reqId)) return;
    throw e;
  }
}

/** The outcome of a step that may be rejected: the value, or the requirement that failed. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reqId: ReqId; readonly error: string };

/** Runs `f`, turning a {@link PqroomError} into a failed {@link Result}; other exceptions propagate. */
export function attempt<T>(f: () => T): Result<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, error: e.message };
    throw e;
  }
}
