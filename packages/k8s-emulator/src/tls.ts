// TLS material for the emulator: a throwaway CA and a server certificate it signs for 127.0.0.1, ::1 and
// localhost, so clients verify the connection against the CA instead of skipping verification.
import { generate } from 'selfsigned';

export interface TlsMaterial {
  /** PEM of the CA certificate clients must trust. */
  caCert: string;
  /** PEM of the server certificate and key. */
  cert: string;
  key: string;
}

let cached: Promise<TlsMaterial> | undefined;

async function createTlsMaterial(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'hybrid-runner Kubernetes emulator CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caCert: ca.cert, cert: server.cert, key: server.private };
}

/** One CA and server certificate per process: key generation is the slowest part of starting an emulator. */
export function tlsMaterial(): Promise<TlsMaterial> {
  cached ??= createTlsMaterial();
  return cached;
}
