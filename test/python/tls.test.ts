/**
 * The Python worker over TLS: with SIDECAR_TLS_CA_FILE it verifies the
 * sidecar's certificate and is served; without it, it is refused and keeps
 * retrying, as the TypeScript worker does (test/reliability/tls.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import { startProcessLab } from '../support/process-lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'tls-py-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

test('a Python worker with the sidecar\'s CA is served over TLS (with a client certificate too); a plaintext one is refused', async () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  // A self-signed certificate for 127.0.0.1, made by openssl for this test only.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  // The producer's burst: the lab's admin client speaks plaintext.
  const lab = await startProcessLab({ SIDECAR_TLS_CERT_FILE: cert, SIDECAR_TLS_KEY_FILE: key, PRODUCER_BURST: 20 });
  const { stack } = { stack: 'c-core' } as const;
  const secure = await lab.worker('secure', { DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 0, SIDECAR_TLS_CA_FILE: cert }, { stack });
  const withCert = await lab.worker('with-cert', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0, SIDECAR_TLS_CA_FILE: cert, WORKER_TLS_CERT_FILE: cert, WORKER_TLS_KEY_FILE: key }, { stack });
  const plain = await lab.worker('plain', { DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 0 }, { stack });
  await waitFor('the TLS workers to process all', () => (secure.processedIds().length + withCert.processedIds().length === 20 ? true : undefined), 30_000);
  await waitFor('the plaintext worker to be refused', () => (plain.logs.some((r) => r.msg === 'lost the sidecar; reconnecting') ? true : undefined), 30_000);
  assert.equal(sum(await scrape(plain.metricsPort), 'worker_connected'), 0);
  assert.equal(sum(await scrape(secure.metricsPort), 'worker_connected'), 1);
  assert.deepEqual(plain.processedIds(), []);
});
