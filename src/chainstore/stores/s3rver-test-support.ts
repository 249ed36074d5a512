import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** An s3rver (npm `s3rver`, an S3-compatible server in-process) on loopback, for tests. */
export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** Options of an S3KvStore on this server, under `prefix`. */
  storeOptions(prefix: string): {
    bucket: string;
    prefix: string;
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  close(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1 on a free port with its data in a new temporary directory and one
 * bucket; close() stops it and removes the directory. No external server needed, so S3 tests
 * always run (in CI too).
 */
export async function startLocalS3(bucket = 'shoal-test'): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'shoal-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    storeOptions: (prefix) => {
      // s3rver removes a directory once its last object is deleted, racing a put into it
      // that then fails out of the process (ENOENT, uncaught, in s3rver). Real S3 has no
      // directories; here a file s3rver does not list keeps the prefix's directory alive.
      const dir = join(directory, bucket, ...prefix.split('/').filter((p) => p !== ''));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.keep'), '');
      return {
        bucket,
        prefix,
        endpoint,
        region: 'us-east-1',
        // s3rver's documented fixed credentials.
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
      };
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
