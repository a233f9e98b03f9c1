import { formatCell, formatDetails, formatUsd, record } from '../output.js';

/** A key's view as `label: value` lines; scopes and limits spelled the way the flags take them. */
export function describeKey(key: Record<string, unknown>): string {
  const scopes = record(key.scopes);
  const limits = record(key.limits);
  return (
    formatDetails([
      ['id', key.id],
      ['name', key.name],
      ['project', key.project],
      ['prefix', key.prefix],
      ['status', key.status],
      ['default provider', key.default_provider],
      ['providers', orAny(scopes.providers)],
      ['models', orAny(scopes.models)],
      ['endpoints', orAny(scopes.endpoints)],
      ['ip allow', orAny(key.ip_allow)],
      ['rpm', limits.rpm],
      ['tpm', limits.tpm],
      ['concurrency', limits.concurrency],
      ['max tokens', limits.max_tokens],
      ['budgets', budgets(limits.budgets)],
      ['expires at', key.expires_at],
      ['parent', key.parent_id],
      ['can delegate', key.can_delegate],
      ['rotated at', key.rotated_at],
      ['old secret valid until', key.previous_secret_valid_until],
      ['rotation due', rotationDue(key)],
      ['created at', key.created_at],
      ['last used at', key.last_used_at],
    ]) + describeLimitUsage(key.limits_usage)
  );
}

/** `rpm 3/60 (resets 2026-...)`, `budget day $0.12 of $5`: one line per limit, when the server sent them. */
export function describeLimitUsage(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return '';
  const rows = value.map((item) => {
    const usage = record(item);
    const isBudget = usage.limit === 'budget';
    const amount = (n: unknown) => (isBudget ? formatUsd(n) : formatCell(n));
    const name = isBudget
      ? `budget ${formatCell(usage.period)}${usage.soft === true ? ' (soft)' : ''}`
      : formatCell(usage.limit);
    const resets = usage.resets_at ? `, resets ${formatCell(usage.resets_at)}` : '';
    return [name, `${amount(usage.used)} of ${amount(usage.max)} used${resets}`] as [string, unknown];
  });
  return `\n\nconsumption\n${formatDetails(rows)}`;
}

/** `2027-01-01T00:00:00.000Z (OVERDUE)` when the key's rotation policy says it is past due. */
export function rotationDue(key: Record<string, unknown>): string {
  if (key.rotation_due_at === null || key.rotation_due_at === undefined) return '-';
  return `${formatCell(key.rotation_due_at)}${key.rotation_overdue === true ? ' (OVERDUE)' : ''}`;
}

/** Omitted scopes mean "any". */
function orAny(value: unknown): unknown {
  return Array.isArray(value) && value.length > 0 ? value : 'any';
}

/** `$5/day, $50/month:soft`. */
function budgets(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return '-';
  return value
    .map((item) => {
      const budget = record(item);
      return `${formatUsd(budget.usd)}/${formatCell(budget.period)}${budget.soft === true ? ':soft' : ''}`;
    })
    .join(', ');
}
