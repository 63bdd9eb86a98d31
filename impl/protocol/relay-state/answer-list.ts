/**
 * A principal's remembered answers (REQ-REL-004), as a persistent list: appending one answer
 * copies at most one chunk and the list of chunks (about 2 × 32 pointers for 1,024 answers), not
 * the whole list, and the versions before the append are unchanged (the relay state stays an
 * immutable value: a machine step's state is a new object, the old one still valid). Every
 * answer has a position, counting from the list's first: the store compares two versions of a
 * list by position and writes only the answers appended and evicted between them (issue 23).
 */
import { equalBytes, type Bytes } from '../../bytes.ts';

/** One remembered answer, for retransmitted requests (REQ-REL-004): a request is its (principal, req_id, digest). */
export interface Answered {
  /** The request id. */
  readonly reqId: number;
  /** SHA-256 of the request's bytes (REQ-REL-004: a retransmission is byte-identical). */
  readonly digest: Bytes;
  /** The answer sent. */
  readonly reply: Bytes;
}

/** Answers per chunk: about the square root of ANSWER_MEMORY, so that an append copies as little as it can. */
export const ANSWER_CHUNK = 32;

/**
 * The answers at positions `first` (the oldest kept) to `end - 1` (the newest), oldest first.
 * Chunk `i` holds positions `base + 32 i` to `base + 32 i + 31`, where `base` is `first` rounded
 * down to a multiple of 32; the first chunk's positions before `first` are evicted.
 */
export interface AnswerList {
  /** Position of the oldest answer kept. */
  readonly first: number;
  /** Position the next answer gets. */
  readonly end: number;
  /** The answers, in chunks of ANSWER_CHUNK (the last one may be shorter). */
  readonly chunks: readonly (readonly Answered[])[];
  /** The lowest and highest req_id of each chunk (evicted answers included): a lookup skips the chunks whose range misses. */
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/** The empty list. */
export const NO_ANSWERS: AnswerList = { first: 0, end: 0, chunks: [], lo: [], hi: [] };

/** A list of the answers given, oldest first, at positions 0, 1, ... */
export function answerListOf(answers: readonly Answered[]): AnswerList {
  const chunks: Answered[][] = [];
  for (let i = 0; i < answers.length; i += ANSWER_CHUNK) chunks.push(answers.slice(i, i + ANSWER_CHUNK));
  const ids = chunks.map((ch) => ch.map((a) => a.reqId));
  return { first: 0, end: answers.length, chunks, lo: ids.map((x) => Math.min(...x)), hi: ids.map((x) => Math.max(...x)) };
}

/** How many answers the list keeps. */
export function answerCount(list: AnswerList | undefined): number {
  return list === undefined ? 0 : list.end - list.first;
}

/** The answer at `pos` (a position from `first` to `end - 1`). */
export function answerAt(list: AnswerList, pos: number): Answered {
  const base = list.first - (list.first % ANSWER_CHUNK);
  const off = pos - base;
  return list.chunks[Math.floor(off / ANSWER_CHUNK)]![off % ANSWER_CHUNK]!;
}

/** The answers kept, oldest first. */
export function answersOf(list: AnswerList | undefined): Answered[] {
  const out: Answered[] = [];
  if (list === undefined) return out;
  for (let pos = list.first; pos < list.end; pos++) out.push(answerAt(list, pos));
  return out;
}

/** The answer remembered for the request (req_id, digest), if the list keeps one (REQ-REL-004). */
export function findAnswer(list: AnswerList | undefined, reqId: number, digest: Bytes): Answered | undefined {
  if (list === undefined) return undefined;
  const skip = list.first % ANSWER_CHUNK;
  for (let i = 0; i < list.chunks.length; i++) {
    if (reqId < list.lo[i]! || reqId > list.hi[i]!) continue;
    const chunk = list.chunks[i]!;
    for (let j = i === 0 ? skip : 0; j < chunk.length; j++) {
      const a = chunk[j]!;
      if (a.reqId === reqId && equalBytes(a.digest, digest)) return a;
    }
  }
  return undefined;
}

/** The list with `a` appended as the newest, the oldest evicted beyond `memory` answers (REQ-REL-004). */
export function appendAnswer(list: AnswerList | undefined, a: Answered, memory: number): AnswerList {
  const l = list === undefined || list.end === list.first ? NO_ANSWERS : list;
  const base = l.first - (l.first % ANSWER_CHUNK);
  let chunks: (readonly Answered[])[];
  let lo: number[];
  let hi: number[];
  if (l.end - base === l.chunks.length * ANSWER_CHUNK) {
    chunks = [...l.chunks, [a]];
    lo = [...l.lo, a.reqId];
    hi = [...l.hi, a.reqId];
  } else {
    chunks = l.chunks.slice();
    lo = l.lo.slice();
    hi = l.hi.slice();
    const last = chunks.length - 1;
    chunks[last] = [...chunks[last]!, a];
    lo[last] = Math.min(lo[last]!, a.reqId);
    hi[last] = Math.max(hi[last]!, a.reqId);
  }
  let first = l.first;
  const end = l.end + 1;
  while (end - first > memory) {
    first++;
    if (first % ANSWER_CHUNK === 0) {
      chunks.shift();
      lo.shift();
      hi.shift();
    }
  }
  return { first, end, chunks, lo, hi };
}

/**
 * What changed from `prev` to `next` (the store's save, issue 23): the answers evicted and the
 * answers appended, when `next` is `prev` with answers appended and the oldest evicted (the newest
 * answer `prev` and `next` both keep is the same object at the same position); undefined when
 * `next` is another list, for which the caller compares the answers one by one.
 */
export function answerChanges(prev: AnswerList, next: AnswerList): { evicted: Answered[]; appended: Answered[] } | undefined {
  if (next.first < prev.first || next.end < prev.end) return undefined;
  const overlap = prev.end - 1;
  if (prev.end > prev.first && overlap >= next.first && answerAt(prev, overlap) !== answerAt(next, overlap)) return undefined;
  if (prev.end > prev.first && overlap < next.first) return undefined; // nothing in common to recognise it by
  const evicted: Answered[] = [];
  for (let pos = prev.first; pos < Math.min(next.first, prev.end); pos++) evicted.push(answerAt(prev, pos));
  const appended: Answered[] = [];
  for (let pos = Math.max(prev.end, next.first); pos < next.end; pos++) appended.push(answerAt(next, pos));
  return { evicted, appended };
}
