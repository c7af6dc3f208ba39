/**
 * Who is calling, when the sidecar asks for client certificates (mutual
 * TLS): the names a certificate proves, its subject CN and its DNS and URI
 * subject alternative names. A worker's `worker_id` must be one of them.
 * Without mutual TLS nobody is identified, and the port's trust model is
 * the network's (docs/reliability.md#security).
 */
import type { ServerCall } from '../delivery/server-calls.ts';

export function certificateNames(call: ServerCall): readonly string[] | undefined {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const names: string[] = [];
  // Node types the CN as a string; a subject with several CNs gives an array.
  const cn: unknown = cert.subject.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn.filter((n): n is string => typeof n === 'string'));
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const match = /^\s*(DNS|URI):(.+)$/.exec(entry);
    if (match?.[2]) names.push(match[2].trim());
  }
  return names;
}
