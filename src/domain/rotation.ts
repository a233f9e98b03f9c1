import type { KeyRecord, ProjectRecord, RotationPolicy } from './records.js';

/** A new key's timestamps and rotation state: never used, never rotated. */
export function freshKeyState(now: number) {
  return {
    status: 'active' as const,
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
    previousSecretHash: null,
    previousValidUntil: null,
    rotatedAt: null,
  };
}

/** The default grace period of a rotated secret: the old one keeps working for a day. */
export const DEFAULT_GRACE_SECONDS = 86_400;

export interface RotationStatus {
  policy: RotationPolicy | null;
  /** When the current secret was issued: the last rotation, or the key's creation. */
  secretIssuedAt: number;
  dueAt: number | null;
  overdue: boolean;
}

/** A key's own policy wins over its project's; with neither, a key is never due. */
export function rotationStatus(
  key: Pick<KeyRecord, 'rotationPolicy' | 'rotatedAt' | 'createdAt'>,
  project: Pick<ProjectRecord, 'rotationPolicy'> | undefined,
  now: number,
): RotationStatus {
  const policy = key.rotationPolicy ?? project?.rotationPolicy ?? null;
  const secretIssuedAt = key.rotatedAt ?? key.createdAt;
  const dueAt = policy ? secretIssuedAt + policy.max_age_seconds * 1000 : null;
  return { policy, secretIssuedAt, dueAt, overdue: dueAt !== null && dueAt <= now };
}

/** Whether a presented hash is the key's previous secret, and if so whether its grace still runs. */
export function previousSecretState(
  key: Pick<KeyRecord, 'secretHash' | 'previousSecretHash' | 'previousValidUntil'>,
  presentedHash: string,
  now: number,
): 'current' | 'in-grace' | 'rotated' {
  if (key.previousSecretHash === null || key.previousSecretHash !== presentedHash) return 'current';
  return key.previousValidUntil !== null && now < key.previousValidUntil ? 'in-grace' : 'rotated';
}
