/**
 * Where the live relay writes the transport frames it seals (issue 23): buffers handed out for one
 * frame each and taken back once the socket no longer needs them (ws's send callback: the bytes
 * were written to the socket, or dropped with it), so that a relay in service does not make a
 * new ArrayBuffer for every frame it sends. ArrayBuffer bytes are memory V8 counts against the
 * old generation when it decides to mark the heap; at 2 members the sealed frames were 28% of the
 * ArrayBuffer bytes the relay allocated per message, at 10 members 43% (reports/results.md, session 40).
 *
 * Buffers come in size classes (powers of two); a frame is a view of its buffer's first bytes. The
 * buffers kept idle are bounded (`maxIdleBytes`); a buffer the pool did not hand out, or one
 * given back twice, is ignored, and one never given back is simply collected.
 */
import type { Buffers, Bytes } from '../../impl/bytes.ts';

/** Frames of at most this many bytes come from the pool (a FrameBatch frame is at most about 256 KiB, REQ-TRN-010); larger ones are new. */
export const MAX_POOLED_FRAME = 1 << 20;
const MIN_CLASS = 8; // 256 bytes
const MAX_CLASS = 20; // 1 MiB

/** A pool of frame buffers. */
export interface FramePool extends Buffers {
  /** A buffer of exactly `length` bytes for one frame, its contents unspecified: the caller writes every byte. */
  take(length: number): Bytes;
  /** `bytes` (a frame `take` gave) is no longer used by anyone: its buffer may be handed out again. */
  release(bytes: Bytes): void;
  /** Buffers idle in the pool and their bytes; buffers handed out since the pool was made, and how many of them were new. */
  stats(): { readonly idle: number; readonly idleBytes: number; readonly taken: number; readonly made: number };
}

/** A frame pool keeping at most `maxIdleBytes` bytes of idle buffers (default 8 MiB). */
export function framePool(maxIdleBytes = 8 << 20): FramePool {
  const idle: ArrayBuffer[][] = Array.from({ length: MAX_CLASS + 1 }, () => []);
  const out = new WeakSet<ArrayBuffer>(); // handed out, not yet given back
  let idleBytes = 0;
  let taken = 0;
  let made = 0;
  return {
    take(length) {
      if (length > MAX_POOLED_FRAME) return new Uint8Array(length);
      const k = Math.max(MIN_CLASS, 32 - Math.clz32(Math.max(1, length) - 1)); // the smallest class of at least `length` bytes
      let ab = idle[k]!.pop();
      if (ab) idleBytes -= ab.byteLength;
      else {
        ab = new ArrayBuffer(1 << k);
        made++;
      }
      taken++;
      out.add(ab);
      return new Uint8Array(ab, 0, length);
    },
    release(bytes) {
      const ab = bytes.buffer;
      if (!(ab instanceof ArrayBuffer) || !out.delete(ab)) return;
      if (idleBytes + ab.byteLength > maxIdleBytes) return;
      idle[31 - Math.clz32(ab.byteLength)]!.push(ab);
      idleBytes += ab.byteLength;
    },
    stats: () => ({ idle: idle.reduce((n, l) => n + l.length, 0), idleBytes, taken, made }),
  };
}

/** An arena of short-lived buffers: each `take` a view of the next bytes of a slab, all of them reused after `reset`. */
export interface Arena extends Buffers {
  /** A buffer of exactly `length` bytes, contents unspecified, valid until `reset`. */
  take(length: number): Bytes;
  /** Every buffer taken so far is no longer used by anyone: the slab is reused from its start. */
  reset(): void;
}

/**
 * The live relay's `RoomDelivery`s between the relay step that makes them and the flush that seals
 * them (issue 23: one new ArrayBuffer of a message's size per message, read once by the seal). A
 * slab of `slabBytes`; a fuller period starts a new slab (the old one lives as long as its views), a
 * buffer larger than a quarter of the slab is new.
 */
export function arena(slabBytes = 1 << 20): Arena {
  let slab = new Uint8Array(slabBytes);
  let pos = 0;
  return {
    take(length) {
      if (length > slabBytes >>> 2) return new Uint8Array(length);
      if (pos + length > slab.length) {
        slab = new Uint8Array(slabBytes);
        pos = 0;
      }
      pos += length;
      return slab.subarray(pos - length, pos);
    },
    reset() {
      pos = 0;
    },
  };
}
