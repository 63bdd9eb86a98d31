/** A case found the relay answering other than the spec says. */
export class Mismatch extends Error {
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`expected ${expected}, got ${got}`);
    this.name = 'Mismatch';
  }
}
