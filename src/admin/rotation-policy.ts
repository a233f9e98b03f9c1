import { invalidField } from '../domain/errors.js';
import type { RotationPolicy } from '../domain/records.js';
import { parseSecretRef } from '../secrets/secret-ref.js';

/** Meaning checks of a rotation policy (the route schema has checked its shape). */
export function checkRotationPolicy(field: string, policy: RotationPolicy | null | undefined): void {
  if (!policy) return;
  if (policy.auto_rotate && !policy.sink) {
    throw invalidField(`${field}.sink`, 'auto_rotate needs a sink to deliver the new secret to');
  }
  const sink = policy.sink;
  if (sink?.type === 'webhook') {
    let url: URL;
    try {
      url = new URL(sink.url);
    } catch {
      throw invalidField(`${field}.sink.url`, 'is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw invalidField(`${field}.sink.url`, 'must be http or https');
    const ref = parseSecretRef(sink.signing_secret_ref);
    if (typeof ref === 'string') throw invalidField(`${field}.sink.signing_secret_ref`, ref);
  }
  if (sink?.type === 'vault' && !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+$/.test(sink.path)) {
    throw invalidField(`${field}.sink.path`, 'must be <mount>/<path>, e.g. secret/apps/checkout-bot');
  }
}
