import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '@backlog-lab/common/env';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { loadSidecarConfig } from '../../services/sidecar/src/config.ts';
import { loadWorkerConfig } from '../../services/worker/src/config.ts';
import { num, startInProcessLab } from '../support/in-process-lab.ts';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';

const dir = mkdtempSync(join(tmpdir(), 'tls-'));

/** Runs the container healthcheck's probe as the container does; resolves to its exit code and output. */
function probe(...args: string[]): Promise<{ code: number; output: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'packages/common/src/health-probe.ts'), ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, output: stdout.trim(), stderr: stderr.trim() });
    });
  });
}
after(() => { rmSync(dir, { recursive: true, force: true }); });

test('with a certificate configured the sidecar serves TLS: a worker with the CA is served, a plaintext one is not', async () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  // A self-signed certificate for 127.0.0.1, made by openssl for this test only.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const lab = await startInProcessLab({ SIDECAR_TLS_CERT_FILE: cert, SIDECAR_TLS_KEY_FILE: key });
  assert.equal(lab.logs.find((r) => r.msg === 'sidecar listening')?.tls, true);

  const secure = await lab.worker('secure', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0, SIDECAR_TLS_CA_FILE: cert });
  const plain = await lab.worker('plain', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0 });
  await waitFor('the secure worker to connect', async () => (sum(await scrape(secure.metricsPort), 'worker_connected') === 1 ? true : undefined));
  await waitFor('the plaintext worker to be refused', () => (plain.logs.some((r) => r.msg === 'lost the sidecar; reconnecting') ? true : undefined));
  assert.equal(sum(await scrape(plain.metricsPort), 'worker_connected'), 0);
  assert.equal(secure.logs.filter((r) => r.msg === 'lost the sidecar; reconnecting').length, 0);

  // The healthcheck's probe: SERVING over TLS, refused in plaintext.
  const address = lab.address;
  // Quietly: a healthcheck runs every few seconds, and Node warns about an IP address as a TLS server name.
  assert.deepEqual(await probe('--tls', address), { code: 0, output: 'SERVING', stderr: '' });
  const plaintext = await probe(address);
  assert.equal(plaintext.code, 1);
  assert.match(plaintext.output, /^error: /);
});

test('a TLS sidecar with the producer on delivers to a TLS worker', async () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const lab = await startInProcessLab({ SIDECAR_TLS_CERT_FILE: cert, SIDECAR_TLS_KEY_FILE: key, PRODUCER_BURST: 5 });
  const secure = await lab.worker('secure', { DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 0, SIDECAR_TLS_CA_FILE: cert });
  await waitFor('five messages over TLS', () => (secure.processedIds().length === 5 ? true : undefined));
  assert.equal(num(sum(await scrape(secure.metricsPort), 'worker_messages_processed_total', { outcome: 'ok' })), 5);
});

test('half a TLS configuration, or an unreadable file, is a configuration error naming the variable', () => {
  assert.throws(() => loadSidecarConfig({ SIDECAR_TLS_CERT_FILE: join(dir, 'cert.pem') }), (e: unknown) => e instanceof ConfigError && /SIDECAR_TLS_CERT_FILE and SIDECAR_TLS_KEY_FILE must be set together/.test(e.message));
  assert.throws(() => loadWorkerConfig({ SIDECAR_TLS_CA_FILE: join(dir, 'nope.pem') }), /SIDECAR_TLS_CA_FILE must name a readable file/);
});
