import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The admin API's bearer token. Compared in constant time: both sides are hashed first (so
 * their lengths match and `timingSafeEqual` applies) and the digests are compared with it, so
 * the time taken says nothing about how much of a guess was right.
 */
export class AdminToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = createHash('sha256').update(token, 'utf8').digest();
  }

  /** True when `authorization` is `Bearer <the token>`. */
  check(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const m = /^Bearer +(\S+)\s*$/i.exec(authorization);
    // Hash even a malformed header, so a missing scheme takes as long as a wrong token.
    const given = createHash('sha256')
      .update(m?.[1] ?? '', 'utf8')
      .digest();
    return timingSafeEqual(given, this.digest) && m !== null;
  }
}
