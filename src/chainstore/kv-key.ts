import { KvError } from './kv-error.js';
import type { KvKey } from './kv-store.js';
import { KV_MAX_KEY_BYTES } from './kv-store.js';

/** The bytes of a key (a view, not a copy, for bytes); SHOAL_E_KV_KEY if it is not a valid key. */
export function keyBytes(key: KvKey): Buffer {
  let b: Buffer;
  if (typeof key === 'string') {
    // String.prototype.isWellFormed is in Node 20, not yet in the ES2023 lib types.
    if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw new KvError('SHOAL_E_KV_KEY', 'a string key must be well-formed Unicode (give bytes)');
    }
    b = Buffer.from(key, 'utf8');
  } else if (key instanceof Uint8Array) {
    b = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  } else {
    throw new KvError('SHOAL_E_KV_KEY', `a key is a string or a Uint8Array, got ${typeof key}`);
  }
  if (b.length === 0 || b.length > KV_MAX_KEY_BYTES) {
    throw new KvError('SHOAL_E_KV_KEY', `a key is 1 to ${KV_MAX_KEY_BYTES} bytes, got ${b.length}`);
  }
  return b;
}

/** The bytes of a listing prefix: like keyBytes, but empty is allowed (every key). */
export function prefixBytes(prefix: KvKey): Buffer {
  if (typeof prefix === 'string' ? prefix.length === 0 : prefix.length === 0) {
    return Buffer.alloc(0);
  }
  return keyBytes(prefix);
}

/** A copy of a value as a Buffer that no caller holds. */
export function copyValue(value: Uint8Array): Buffer {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`a value is a Uint8Array, got ${typeof value}`);
  }
  return Buffer.from(value);
}
