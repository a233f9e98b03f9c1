import type { AdminTokenRecord, KeyRecord, Scopes } from './records.js';

/**
 * Posture rules for `keywarden doctor`: pure checks over records and recent usage, each finding
 * with the fix to apply. The score starts at 100 and each finding costs its severity's weight.
 */
export type Severity = 'high' | 'medium' | 'low';

export interface Finding {
  check: string;
  severity: Severity;
  target: { type: string; id: string | null; name: string | null };
  message: string;
  fix: string;
  /** For scope findings: the narrower scope to apply. */
  suggested_scopes?: Scopes;
}

const WEIGHT: Record<Severity, number> = { high: 10, medium: 4, low: 1 };
export const UNUSED_AFTER_MS = 30 * 86_400_000;

export function postureScore(findings: readonly Finding[]): number {
  return Math.max(0, 100 - findings.reduce((sum, f) => sum + WEIGHT[f.severity], 0));
}

/** What a key actually used in the lookback window. */
export interface KeyUse {
  models: readonly string[];
  endpoints: readonly string[];
  providers: readonly string[];
}

export function keyFindings(key: KeyRecord, use: KeyUse, now: number): Finding[] {
  const target = { type: 'key', id: key.id, name: key.name };
  const patch = (body: unknown) => `PATCH /admin/v1/keys/${key.id} ${JSON.stringify(body)}`;
  const findings: Finding[] = [];
  if (!(key.limits.budgets ?? []).some((b) => !b.soft)) {
    findings.push({
      check: 'key_without_hard_budget',
      severity: 'high',
      target,
      message: `key ${key.name} has no hard budget: a leak can spend without limit`,
      fix: patch({
        limits: { ...key.limits, budgets: [...(key.limits.budgets ?? []), { usd: 10, period: 'day' }] },
      }),
    });
  }
  if (key.expiresAt === null) {
    findings.push({
      check: 'key_without_expiry',
      severity: 'medium',
      target,
      message: `key ${key.name} never expires`,
      fix: patch({ expires_at: new Date(now + 90 * 86_400_000).toISOString() }),
    });
  }
  const rotation = rotationDue(key, now);
  if (rotation) {
    findings.push({
      check: 'key_past_rotation_policy',
      severity: 'high',
      target,
      message: `key ${key.name} is ${rotation} days past its rotation policy`,
      fix: `keywarden keys rotate ${key.id}`,
    });
  }
  const lastActive = key.lastUsedAt ?? key.createdAt;
  if (now - lastActive >= UNUSED_AFTER_MS) {
    findings.push({
      check: 'key_unused',
      severity: 'medium',
      target,
      message: `key ${key.name} has not been used for ${Math.floor((now - lastActive) / 86_400_000)} days`,
      fix: `keywarden keys revoke ${key.id}`,
    });
    return findings;
  }
  const narrower = narrowerScopes(key.scopes, use);
  if (narrower) {
    findings.push({
      check: 'scope_wider_than_use',
      severity: 'low',
      target,
      message: `key ${key.name} may use more than it used in the last 30 days`,
      fix: patch({ scopes: narrower }),
      suggested_scopes: narrower,
    });
  }
  return findings;
}

/** The scope that allows exactly what was used, when that is narrower than the current one. */
export function narrowerScopes(scopes: Scopes, use: KeyUse): Scopes | undefined {
  const narrowed: Scopes = { ...scopes };
  let wider = false;
  for (const list of ['providers', 'models', 'endpoints'] as const) {
    const used = [...new Set(use[list])].sort();
    if (used.length === 0) continue;
    const allowed = scopes[list];
    const isWider = !allowed || allowed.some((entry) => entry.includes('*') || !used.includes(entry));
    if (isWider) {
      narrowed[list] = used;
      wider = true;
    }
  }
  return wider ? narrowed : undefined;
}

/**
 * Days past a rotation policy, when the key has one. Policies are optional and may be added to keys
 * later under a few shapes; without one, there is nothing to check.
 */
function rotationDue(key: KeyRecord, now: number): number | undefined {
  const record = key as unknown as Record<string, unknown>;
  const policy = (record.rotationPolicy ?? record.rotation_policy ?? record.rotation) as
    | Record<string, unknown>
    | null
    | undefined;
  if (!policy || typeof policy !== 'object') return undefined;
  const seconds = policy.maxAgeSeconds ?? policy.max_age_seconds;
  const maxAgeMs =
    typeof policy.maxAgeMs === 'number'
      ? policy.maxAgeMs
      : typeof seconds === 'number'
        ? seconds * 1000
        : undefined;
  if (maxAgeMs === undefined) return undefined;
  const since = [record.rotatedAt, record.rotated_at, key.createdAt].find(
    (v) => typeof v === 'number',
  ) as number;
  const overdue = now - since - maxAgeMs;
  return overdue > 0 ? Math.max(1, Math.floor(overdue / 86_400_000)) : undefined;
}

export function adminTokenFindings(tokens: readonly AdminTokenRecord[]): Finding[] {
  return tokens
    .filter((t) => t.revokedAt === null && t.expiresAt === null)
    .map((t) => ({
      check: 'admin_token_without_expiry',
      severity: t.role === 'owner' || t.role === 'admin' ? ('medium' as const) : ('low' as const),
      target: { type: 'admin_token', id: t.id, name: t.name },
      message: `${t.role} token ${t.name} never expires`,
      fix: `keywarden admin-tokens create --name ${t.name}-new --role ${t.role} --ttl 90d, then keywarden admin-tokens revoke ${t.id}`,
    }));
}
