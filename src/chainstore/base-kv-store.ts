import { EventEmitter } from 'node:events';
import { KvError, ioError } from './kv-error.js';
import { copyValue, keyBytes, prefixBytes } from './kv-key.js';
import type { KvKey, KvOpOptions, KvStore } from './kv-store.js';

/** Options every store and manager accepts. */
export interface BaseKvStoreOptions {
  /** Default per-operation timeout in milliseconds; 0 (the default) for none. */
  timeoutMs?: number;
}

const NO_OPTIONS: KvOpOptions = {};

/**
 * What stores share: key checks, the open/closed state, timeouts and abort signals, and the
 * `error` event of background failures. A subclass implements the `do*` methods on checked
 * bytes and a signal it should pass to I/O that can be cancelled.
 *
 * The fast path (no timeout, no signal, as the memory store runs by default) adds no timer and
 * no listener: an operation is the subclass call plus a state check.
 */
export abstract class BaseKvStore extends EventEmitter implements KvStore {
  abstract readonly kind: string;
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private opening: Promise<void> | null = null;
  private readonly defaultTimeout: number;

  constructor(options: BaseKvStoreOptions = {}) {
    super();
    const t = options.timeoutMs ?? 0;
    if (!(Number.isFinite(t) && t >= 0)) {
      throw new KvError(
        'SHOAL_E_KV_OPTIONS',
        'timeoutMs: expected a number of milliseconds, 0 or more',
      );
    }
    this.defaultTimeout = t;
  }

  protected abstract doOpen(signal: AbortSignal | undefined): Promise<void>;
  protected abstract doClose(): Promise<void>;
  protected abstract doPut(
    key: Buffer,
    value: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<void>;
  protected abstract doGet(
    key: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array | undefined>;
  protected abstract doDel(key: Buffer, signal: AbortSignal | undefined): Promise<void>;

  /** True between a successful open() and close(). */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  open(opts: KvOpOptions = NO_OPTIONS): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'closed') {
      return Promise.reject(new KvError('SHOAL_E_KV_CLOSED', `${this.kind} store is closed`));
    }
    if (this.opening !== null) return this.opening;
    this.state = 'opening';
    this.opening = this.run('open', opts, (signal) => this.doOpen(signal)).then(
      () => {
        this.state = 'open';
        this.opening = null;
      },
      (err: unknown) => {
        this.state = 'new';
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.opening !== null) await this.opening.catch(() => {});
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (wasOpen) await this.doClose();
  }

  put(key: KvKey, value: Uint8Array, opts: KvOpOptions = NO_OPTIONS): Promise<void> {
    let k: Buffer, v: Buffer;
    try {
      this.checkOpen();
      k = keyBytes(key);
      v = copyValue(value);
    } catch (err) {
      return rejected(err);
    }
    return this.run('put', opts, (signal) => this.doPut(k, v, signal));
  }

  get(key: KvKey, opts: KvOpOptions = NO_OPTIONS): Promise<Uint8Array | undefined> {
    let k: Buffer;
    try {
      this.checkOpen();
      k = keyBytes(key);
    } catch (err) {
      return rejected(err);
    }
    return this.run('get', opts, (signal) => this.doGet(k, signal));
  }

  del(key: KvKey, opts: KvOpOptions = NO_OPTIONS): Promise<void> {
    let k: Buffer;
    try {
      this.checkOpen();
      k = keyBytes(key);
    } catch (err) {
      return rejected(err);
    }
    return this.run('del', opts, (signal) => this.doDel(k, signal));
  }

  /**
   * Lists keys through `list` (a subclass that can list exposes `keys` by calling this), with
   * the same checks, timeout and signal as the other operations.
   */
  protected listKeys(
    prefix: KvKey,
    opts: KvOpOptions,
    list: (prefix: Buffer, signal: AbortSignal | undefined) => Promise<Uint8Array[]>,
  ): Promise<Uint8Array[]> {
    let p: Buffer;
    try {
      this.checkOpen();
      p = prefixBytes(prefix);
    } catch (err) {
      return rejected(err);
    }
    return this.run('keys', opts, (signal) => list(p, signal));
  }

  /**
   * Reports a failure of work nobody awaits (a background write, an eviction): as an `error`
   * event when someone listens, else on stderr, so it is never lost silently (an EventEmitter
   * with no `error` listener would throw it out of the process instead).
   */
  protected reportBackground(err: KvError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(`${err.code}: ${err.message}`, { code: err.code });
  }

  private checkOpen(): void {
    if (this.state !== 'open') {
      throw new KvError(
        'SHOAL_E_KV_CLOSED',
        `${this.kind} store is ${this.state === 'closed' ? 'closed' : 'not open'}`,
      );
    }
  }

  /** Runs one operation under the timeout and signal of `opts` (or the store's default). */
  private run<T>(
    op: string,
    opts: KvOpOptions,
    fn: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const outer = opts.signal;
    const timeout = opts.timeoutMs ?? this.defaultTimeout;
    if (outer === undefined && timeout === 0) {
      // Fast path: nothing to race. Errors still get a stable code.
      try {
        return fn(undefined).catch((err: unknown) => {
          throw ioError(this.kind, op, err);
        });
      } catch (err) {
        return Promise.reject(ioError(this.kind, op, err));
      }
    }
    if (outer?.aborted === true) {
      return Promise.reject(new KvError('SHOAL_E_KV_ABORTED', `${this.kind} store: ${op} aborted`));
    }
    return new Promise<T>((resolve, reject) => {
      // The inner controller cancels the I/O (an S3 request) whichever way this ends early.
      const inner = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        outer?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        finish();
        inner.abort();
        reject(new KvError('SHOAL_E_KV_ABORTED', `${this.kind} store: ${op} aborted`));
      };
      outer?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(() => {
          finish();
          inner.abort();
          reject(
            new KvError(
              'SHOAL_E_KV_TIMEOUT',
              `${this.kind} store: ${op} timed out after ${timeout} ms`,
            ),
          );
        }, timeout);
      }
      let p: Promise<T>;
      try {
        p = fn(inner.signal);
      } catch (err) {
        p = rejected(err);
      }
      p.then(
        (v) => {
          finish();
          resolve(v);
        },
        (err: unknown) => {
          finish();
          // After a timeout or abort the promise is already settled; this is a no-op then.
          reject(ioError(this.kind, op, err));
        },
      );
    });
  }
}

/** A promise rejected with `err` (an Error, or one made from it). */
function rejected(err: unknown): Promise<never> {
  return Promise.reject(err instanceof Error ? err : new Error(String(err)));
}
