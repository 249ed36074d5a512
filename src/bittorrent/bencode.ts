/**
 * Bencode (BEP 3). Hand-written: tracker replies are the hot path and the encoder must always
 * sort dictionary keys as raw byte strings, which several npm encoders do not guarantee.
 * The decoder is strict (canonical integers, sorted unique keys are not required on input) and
 * is used by tests and tooling, not on the request path.
 */

export type BencodeValue =
  | number
  | bigint
  | string
  | Uint8Array
  | BencodeValue[]
  | { [key: string]: BencodeValue | undefined }
  | Map<string | Uint8Array, BencodeValue>;

class Writer {
  buf = Buffer.allocUnsafe(256);
  len = 0;

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  ascii(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  bytes(b: Uint8Array): void {
    this.ascii(`${b.length}:`);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

function toKeyBytes(k: string | Uint8Array): Buffer {
  return typeof k === 'string' ? Buffer.from(k, 'utf8') : Buffer.from(k);
}

function writeValue(w: Writer, v: BencodeValue): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`bencode: not an integer: ${v}`);
    w.ascii(`i${v}e`);
  } else if (typeof v === 'bigint') {
    w.ascii(`i${v}e`);
  } else if (typeof v === 'string') {
    w.bytes(Buffer.from(v, 'utf8'));
  } else if (v instanceof Uint8Array) {
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.ascii('l');
    for (const item of v) writeValue(w, item);
    w.ascii('e');
  } else {
    const entries: [Buffer, BencodeValue][] = [];
    if (v instanceof Map) {
      for (const [k, val] of v) entries.push([toKeyBytes(k), val]);
    } else {
      for (const k of Object.keys(v)) {
        const val = v[k];
        if (val !== undefined) entries.push([toKeyBytes(k), val]);
      }
    }
    // BEP 3: keys must be strings and appear in sorted order (sorted as raw strings).
    entries.sort((a, b) => Buffer.compare(a[0], b[0]));
    w.ascii('d');
    for (let i = 0; i < entries.length; i++) {
      const [k, val] = entries[i]!;
      if (i > 0 && k.equals(entries[i - 1]![0])) throw new TypeError('bencode: duplicate key');
      w.bytes(k);
      writeValue(w, val);
    }
    w.ascii('e');
  }
}

/** Encodes a value; dictionary keys are always emitted in sorted byte order. */
export function bencode(v: BencodeValue): Buffer {
  const w = new Writer();
  writeValue(w, v);
  return w.buf.subarray(0, w.len);
}

/** A decoded value: byte strings stay Buffers; dictionaries are plain objects keyed latin1. */
export type Decoded = number | Buffer | Decoded[] | { [key: string]: Decoded };

export class BencodeError extends Error {
  override readonly name = 'BencodeError';
}

/** Decodes exactly one bencoded value filling `data`. Throws BencodeError on anything else. */
export function bdecode(data: Uint8Array): Decoded {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let depth = 0;

  function fail(msg: string): never {
    throw new BencodeError(`bencode: ${msg} at ${pos}`);
  }

  function readInt(end: number): number {
    const text = buf.toString('latin1', pos, end);
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) fail('bad integer');
    const n = Number(text);
    if (!Number.isSafeInteger(n)) fail('integer out of range');
    return n;
  }

  function value(): Decoded {
    if (pos >= buf.length) fail('unexpected end');
    const c = buf[pos]!;
    if (c === 0x69 /* i */) {
      pos++;
      const end = buf.indexOf(0x65, pos);
      if (end < 0) fail('unterminated integer');
      const n = readInt(end);
      pos = end + 1;
      return n;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = buf.indexOf(0x3a, pos);
      if (colon < 0) fail('bad string length');
      const text = buf.toString('latin1', pos, colon);
      if (!/^(0|[1-9][0-9]*)$/.test(text)) fail('bad string length');
      const n = Number(text);
      const start = colon + 1;
      if (start + n > buf.length) fail('string past end');
      pos = start + n;
      return buf.subarray(start, start + n);
    }
    if (c === 0x6c /* l */ || c === 0x64 /* d */) {
      if (++depth > 64) fail('nesting too deep');
      pos++;
      if (c === 0x6c) {
        const list: Decoded[] = [];
        while (pos < buf.length && buf[pos] !== 0x65) list.push(value());
        if (pos >= buf.length) fail('unterminated list');
        pos++;
        depth--;
        return list;
      }
      const dict: { [key: string]: Decoded } = Object.create(null) as { [key: string]: Decoded };
      while (pos < buf.length && buf[pos] !== 0x65) {
        const k = value();
        if (!Buffer.isBuffer(k)) fail('dictionary key is not a string');
        dict[k.toString('latin1', 0, k.length)] = value();
      }
      if (pos >= buf.length) fail('unterminated dictionary');
      pos++;
      depth--;
      return dict;
    }
    return fail('unexpected byte');
  }

  const v = value();
  if (pos !== buf.length) fail('trailing data');
  return v;
}
