/** A test helper: `f` must throw a {@link ProtocolError} for requirement `reqId` (spec 1.4). */
import { expect } from 'vitest';
import { ProtocolError } from './errors.ts';

/** Asserts that `f()` is rejected with a ProtocolError naming `reqId`. */
export function rejectsWith(reqId: string, f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${reqId}`).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).reqId).toBe(reqId);
}
