import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate (EC P-256, valid for IP 127.0.0.1) written as
 * `<name>.crt` / `<name>.key` in `dir` by the openssl CLI; null when openssl is missing or fails.
 */
export function selfSignedCert(
  dir: string,
  name = 'cert',
  cn = '127.0.0.1',
): { cert: string; key: string } | null {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return r.status === 0 ? { cert, key } : null;
}
