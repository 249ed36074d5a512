import type { S3Client } from '@aws-sdk/client-s3';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { BaseKvStoreOptions } from '../base-kv-store.js';
import { BaseKvStore } from '../base-kv-store.js';
import { KvError } from '../kv-error.js';
import type { KvKey, KvOpOptions } from '../kv-store.js';

/** Options of S3KvStore: a client, or what to make one from. */
export interface S3KvStoreOptions extends BaseKvStoreOptions {
  /** Bucket holding the entries. */
  bucket: string;
  /** Object key prefix (default `""`), at most 120 bytes: keys are written after it in hex. */
  prefix?: string;
  /** A client to use (closed by its owner, not by close()). Otherwise one is made from below. */
  client?: S3Client;
  /** Endpoint URL of an S3-compatible server (default: AWS). */
  endpoint?: string;
  /** Region (default `us-east-1`). */
  region?: string;
  /** Credentials (default: the SDK's chain: environment, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing (default true, what most S3-compatible servers need). */
  forcePathStyle?: boolean;
  /** Create the bucket at open() when it does not exist (default false). */
  createBucket?: boolean;
}

/**
 * A store of one S3 object per key through `@aws-sdk/client-s3`: object key = prefix + the key
 * bytes in lowercase hex, with a `/` after every 200 hex digits (any bytes are safe; a key
 * prefix is an object key prefix, so listing is one ListObjectsV2 prefix; and servers that
 * keep objects as files, such as s3rver, never see a path segment longer than 200). Every request carries the operation's abort signal, so a timeout
 * cancels it. Made clients use `requestChecksumCalculation: 'WHEN_REQUIRED'`: with the SDK's
 * default, S3-compatible servers that do not know the new checksums store streamed uploads
 * corrupted.
 */
export class S3KvStore extends BaseKvStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly prefix: string;
  private readonly options: S3KvStoreOptions;
  private client: S3Client | null;
  private readonly ownsClient: boolean;
  private sdk: typeof S3Sdk | null = null;

  constructor(options: S3KvStoreOptions) {
    super(options);
    if (typeof options.bucket !== 'string' || options.bucket === '') {
      throw new KvError('SHOAL_E_KV_OPTIONS', 's3 store: bucket: expected a bucket name');
    }
    const prefix = options.prefix ?? '';
    if (typeof prefix !== 'string' || Buffer.byteLength(prefix) > 120) {
      throw new KvError('SHOAL_E_KV_OPTIONS', 's3 store: prefix: expected at most 120 bytes');
    }
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.options = options;
    this.client = options.client ?? null;
    this.ownsClient = options.client === undefined;
  }

  protected async doOpen(signal: AbortSignal | undefined): Promise<void> {
    // Loaded here, so a tracker without an S3 store never loads the SDK.
    this.sdk = await import('@aws-sdk/client-s3');
    const o = this.options;
    if (this.client === null) {
      this.client = new this.sdk.S3Client({
        region: o.region ?? 'us-east-1',
        forcePathStyle: o.forcePathStyle ?? true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
        ...(o.accessKeyId === undefined || o.secretAccessKey === undefined
          ? {}
          : { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }),
      });
    }
    const head = new this.sdk.HeadBucketCommand({ Bucket: this.bucket });
    try {
      await this.client.send(head, abortWith(signal));
    } catch (err) {
      if (o.createBucket !== true) throw err;
      await this.client.send(new this.sdk.CreateBucketCommand({ Bucket: this.bucket }), {
        ...abortWith(signal),
      });
    }
  }

  protected doClose(): Promise<void> {
    if (this.ownsClient) this.client?.destroy();
    this.client = null;
    return Promise.resolve();
  }

  private parts(): [S3Client, typeof S3Sdk] {
    if (this.client === null || this.sdk === null) {
      throw new KvError('SHOAL_E_KV_CLOSED', 's3 store is not open');
    }
    return [this.client, this.sdk];
  }

  private objectKey(key: Buffer): string {
    return this.prefix + hexPath(key);
  }

  protected async doPut(
    key: Buffer,
    value: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const [client, sdk] = this.parts();
    const cmd = new sdk.PutObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      Body: value,
      ContentLength: value.length,
    });
    await client.send(cmd, abortWith(signal));
  }

  protected async doGet(
    key: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array | undefined> {
    const [client, sdk] = this.parts();
    const cmd = new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    try {
      const res = await client.send(cmd, abortWith(signal));
      if (res.Body === undefined) return new Uint8Array(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (err instanceof sdk.NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') {
        return undefined;
      }
      throw err;
    }
  }

  protected async doDel(key: Buffer, signal: AbortSignal | undefined): Promise<void> {
    const [client, sdk] = this.parts();
    const cmd = new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    await client.send(cmd, abortWith(signal));
  }

  keys(prefix: KvKey, opts: KvOpOptions = {}): Promise<Uint8Array[]> {
    return this.listKeys(prefix, opts, async (p, signal) => {
      const [client, sdk] = this.parts();
      const out: Uint8Array[] = [];
      const start = this.prefix + hexPath(p);
      let token: string | undefined;
      do {
        const cmd = new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: start,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        });
        const res = await client.send(cmd, abortWith(signal));
        for (const o of res.Contents ?? []) {
          const hex = (o.Key?.slice(this.prefix.length) ?? '').replaceAll('/', '');
          if (/^(?:[0-9a-f]{2})+$/.test(hex)) out.push(Buffer.from(hex, 'hex'));
        }
        token = res.IsTruncated === true ? res.NextContinuationToken : undefined;
      } while (token !== undefined);
      return out;
    });
  }
}

/** The SDK's per-request options carrying `signal` (none without one). */
function abortWith(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Hex digits per object key segment. */
const SEGMENT = 200;

/** The key bytes in hex, a `/` after every SEGMENT digits (a fixed place, so prefixes agree). */
function hexPath(key: Buffer): string {
  const hex = key.toString('hex');
  if (hex.length <= SEGMENT) return hex;
  const parts: string[] = [];
  for (let i = 0; i < hex.length; i += SEGMENT) parts.push(hex.slice(i, i + SEGMENT));
  return parts.join('/');
}
