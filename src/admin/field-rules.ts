import { invalidField } from '../domain/errors.js';
import { invalidCidr } from '../domain/ip-allow.js';
import type { Limits, Scopes } from '../domain/records.js';

/**
 * Checks the HTTP schemas cannot express (dates, CIDRs, cross-field rules). Shapes and types are
 * already enforced by the route schemas, so these only look at meaning.
 */

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const NAME = new RegExp(NAME_PATTERN);

export function checkName(field: string, name: string): void {
  if (!NAME.test(name)) {
    throw invalidField(field, 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
}

/** Parses an ISO-8601 timestamp with a zone; `null` clears. */
export function parseTimestamp(field: string, value: string | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  const ms = Date.parse(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value) || Number.isNaN(ms)) {
    throw invalidField(field, 'must be an ISO-8601 time with a zone, e.g. 2027-01-01T00:00:00Z');
  }
  return ms;
}

export function checkFuture(field: string, at: number | null | undefined, now: number): void {
  if (typeof at === 'number' && at <= now) throw invalidField(field, 'must be in the future');
}

export function checkIpAllow(field: string, cidrs: readonly string[] | null | undefined): void {
  if (!cidrs) return;
  const bad = invalidCidr(cidrs);
  if (bad !== undefined) throw invalidField(field, `${JSON.stringify(bad)} is not an IP address or CIDR`);
}

export function checkScopes(field: string, scopes: Scopes | undefined): void {
  for (const list of ['providers', 'models', 'endpoints'] as const) {
    const entries = scopes?.[list];
    if (entries?.some((entry) => entry.trim() === ''))
      throw invalidField(`${field}.${list}`, 'entries must not be empty');
  }
}

export function checkLimits(field: string, limits: Limits | undefined): void {
  const periods = new Set<string>();
  for (const [i, budget] of (limits?.budgets ?? []).entries()) {
    const kind = `${budget.period}:${budget.soft ? 'soft' : 'hard'}`;
    if (periods.has(kind)) throw invalidField(`${field}.budgets[${i}]`, `a ${kind} budget is already set`);
    periods.add(kind);
  }
}
