import fc from 'fast-check';

/**
 * fast-check arbitraries the unit tests share (test code only: the package leaves this folder
 * out).
 *
 * Any Unicode scalar value (no lone surrogates), weighted towards ASCII. fast-check's own
 * 'binary' unit does the same but costs over a second to warm up.
 */
export const codePoint = fc
  .oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0x10ffff }),
  )
  .map((c) => String.fromCodePoint(c));
