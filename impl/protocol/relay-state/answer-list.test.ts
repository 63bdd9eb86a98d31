/**
 * The remembered answers as a persistent list (REQ-REL-004, issue 23): appended to without
 * copying it, older versions unchanged, and the changes between two versions found by position.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANSWER_CHUNK, answerChanges, answerCount, answerListOf, answersOf, appendAnswer, findAnswer, type Answered, type AnswerList } from './answer-list.ts';

const answer = (i: number): Answered => ({ reqId: (i * 37) % 101, digest: new Uint8Array([i & 255, i >> 8]), reply: new Uint8Array([i]) });

describe('REQ-REL-004 the remembered answers', () => {
  it('REQ-REL-004 should keep the last answers like an array sliced to the memory, older versions unchanged, and find each kept answer only', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * ANSWER_CHUNK + 5 }), fc.integer({ min: 0, max: 8 * ANSWER_CHUNK }), (memory, n) => {
        let list: AnswerList | undefined;
        const arrays: Answered[][] = [[]];
        const versions: (AnswerList | undefined)[] = [undefined];
        for (let i = 0; i < n; i++) {
          list = appendAnswer(list, answer(i), memory);
          const prev = arrays[arrays.length - 1]!;
          arrays.push([...prev, answer(i)].slice(-memory));
          versions.push(list);
        }
        for (let v = 0; v < versions.length; v++) {
          const got = answersOf(versions[v]);
          expect(got).toEqual(arrays[v]);
          expect(answerCount(versions[v])).toBe(arrays[v]!.length);
        }
        // every kept answer is found; an evicted one is not (its digest is unique among the answers)
        for (let i = 0; i < n; i++) expect(findAnswer(list, answer(i).reqId, answer(i).digest) !== undefined).toBe(i >= n - memory);
      }),
      { numRuns: 25 },
    );
  });

  it('REQ-REL-004 should say which answers were evicted and appended between a list and its descendant, and nothing for an unrelated list', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * ANSWER_CHUNK }), fc.integer({ min: 0, max: 4 * ANSWER_CHUNK }), fc.integer({ min: 0, max: 4 * ANSWER_CHUNK }), (memory, a, b) => {
        let prev: AnswerList | undefined;
        let i = 0;
        for (; i < a; i++) prev = appendAnswer(prev, answer(i), memory);
        let next = prev;
        for (; i < a + b; i++) next = appendAnswer(next, answer(i), memory);
        const before = answersOf(prev);
        const after = answersOf(next);
        const ch = answerChanges(prev ?? answerListOf([]), next ?? answerListOf([]));
        if (before.length > 0 && after.length > 0 && !after.includes(before[before.length - 1]!)) {
          expect(ch).toBeUndefined(); // nothing in common to recognise the descendant by: the caller compares one by one
          return;
        }
        expect(ch).toBeDefined();
        expect(ch!.evicted).toEqual(before.filter((x) => !after.includes(x)));
        expect(ch!.appended).toEqual(after.filter((x) => !before.includes(x)));
      }),
      { numRuns: 80 },
    );
    const l = answerListOf([answer(1), answer(2)]);
    expect(answerChanges(l, answerListOf([answer(1), answer(3), answer(4)]))).toBeUndefined();
  });
});
