/**
 * Errors. `ClientError` is the only error whose message ever reaches a client; every other
 * error becomes a generic failure reason plus a log line carrying its stable `code`.
 */

/** A request the client can fix or retry; its message is sent to the client verbatim. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** BEP 31: seconds the client should wait before retrying; undefined means "do not say". */
  readonly retryIn: number | undefined;

  constructor(message: string, retryIn?: number) {
    super(message);
    this.retryIn = retryIn;
  }
}

/** An internal error with a stable code (`SHOAL_E_*`), safe to log, never shown to clients. */
export class ShoalError extends Error {
  override readonly name = 'ShoalError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The text a client sees for any error that is not a ClientError. */
export const GENERIC_FAILURE = 'internal tracker error, try again later';

/** The code to log for an arbitrary thrown value. */
export function errorCode(err: unknown): string {
  if (err instanceof ShoalError) return err.code;
  if (err instanceof ClientError) return 'SHOAL_E_CLIENT';
  return 'SHOAL_E_INTERNAL';
}
