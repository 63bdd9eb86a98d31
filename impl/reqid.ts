/** Requirement ids (spec 1.5): every check, typed error, mutant and test names one. */

/** A requirement id of the spec (`REQ-XXX-nnn`). */
export type ReqId = `REQ-${string}-${string}`;
