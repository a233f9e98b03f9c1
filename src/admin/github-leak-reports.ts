import { verify } from 'node:crypto';
import { GatewayError, invalidField } from '../domain/errors.js';
import { hashSecret, isWellFormedSecret } from '../domain/key-format.js';
import type { LeaksAdmin } from './leaks-admin.js';

/** One entry of GitHub's `/meta/public_keys/secret_scanning` document. */
export interface GithubPublicKey {
  key_identifier: string;
  /** PEM, ECDSA P-256. */
  key: string;
  is_current?: boolean;
}

/** One match GitHub's secret scanning partner program posts: `[{token, type, url, source}]`. */
interface ReportedMatch {
  token: string;
  type: string;
  url: string;
  source: string;
}

/** GitHub's documented feedback format: SHA-256 of the token, its type, and the verdict. */
export interface PartnerFeedback {
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

export const GITHUB_LEAK_SOURCE = 'github-secret-scanning';

/** Parses the public keys document (`{"public_keys":[...]}`), as GitHub serves it. */
export function parseGithubPublicKeys(document: unknown): GithubPublicKey[] {
  const list =
    document && typeof document === 'object' && 'public_keys' in document ? document.public_keys : undefined;
  if (!Array.isArray(list)) throw new Error('expected {"public_keys":[{"key_identifier","key"}]}');
  return list.filter(
    (entry): entry is GithubPublicKey =>
      typeof entry?.key_identifier === 'string' && typeof entry?.key === 'string',
  );
}

export interface GithubLeakReportsDeps {
  /** The configured public keys; absent means the endpoint is off. Read per report, so rotation needs no restart. */
  publicKeys: (() => Promise<GithubPublicKey[]>) | undefined;
  leaks: LeaksAdmin;
}

/**
 * GitHub's secret scanning partner program: a report is accepted only with a valid ECDSA
 * (P-256, SHA-256) signature over the raw body by a configured key; each reported keywarden key
 * or admin token is looked up by hash and revoked; the answer is GitHub's feedback array.
 */
export function createGithubLeakReports({ publicKeys, leaks }: GithubLeakReportsDeps) {
  const checkSignature = async (body: Buffer, keyId: string | undefined, signature: string | undefined) => {
    if (!publicKeys) throw new GatewayError('not_found', 'GitHub leak reports are not configured');
    if (!keyId || !signature) {
      throw new GatewayError(
        'invalid_signature',
        'unsigned report: Github-Public-Key-Identifier and Github-Public-Key-Signature are required',
      );
    }
    const key = (await publicKeys()).find((k) => k.key_identifier === keyId);
    if (!key) throw new GatewayError('invalid_signature', 'report signed with an unknown key identifier');
    let valid = false;
    try {
      valid = verify('sha256', body, key.key, Buffer.from(signature, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) throw new GatewayError('invalid_signature', 'report signature does not verify');
  };

  return {
    async handle(
      body: Buffer,
      headers: { keyId: string | undefined; signature: string | undefined },
    ): Promise<PartnerFeedback[]> {
      await checkSignature(body, headers.keyId, headers.signature);
      const matches = parseMatches(body);
      const ours = matches.filter(
        (m) => isWellFormedSecret(m.token, 'key') || isWellFormedSecret(m.token, 'admin'),
      );
      const results = await leaks.revokeLeaked(
        ours.map((m) => ({ secretHash: hashSecret(m.token), location: m.url || m.source || null })),
        GITHUB_LEAK_SOURCE,
      );
      const known = new Set(results.filter((r) => r.outcome !== 'unknown').map((r) => r.secretHash));
      return matches.map((m) => {
        const tokenHash = hashSecret(m.token);
        return {
          token_hash: tokenHash,
          token_type: m.type,
          label: known.has(tokenHash) ? 'true_positive' : 'false_positive',
        };
      });
    },
  };
}

function parseMatches(body: Buffer): ReportedMatch[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'the report is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw invalidField('body', 'expected a JSON array of matches');
  return parsed.map((entry, i) => {
    if (!entry || typeof entry !== 'object' || typeof entry.token !== 'string' || entry.token === '') {
      throw invalidField(`[${i}].token`, 'each match needs a token');
    }
    const text = (name: string) => (typeof entry[name] === 'string' ? (entry[name] as string) : '');
    return { token: entry.token as string, type: text('type'), url: text('url'), source: text('source') };
  });
}

export type GithubLeakReports = ReturnType<typeof createGithubLeakReports>;
