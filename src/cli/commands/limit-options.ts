import { type Command, Option } from 'commander';
import type { AdminClient } from '../admin-client.js';
import { UsageError } from '../errors.js';
import { record } from '../output.js';
import { type Budget, collectBudget, parsePositiveInt } from '../parse.js';

export interface LimitOptions {
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  maxTokens?: number;
  maxTokensMode?: 'reject' | 'clamp';
  budget?: Budget[];
}

/** The limit flags shared by `keys create|update` and `projects create|update`. */
export function addLimitOptions(command: Command): Command {
  return command
    .option('--rpm <n>', 'requests per minute', parsePositiveInt)
    .option('--tpm <n>', 'tokens per minute (input + output)', parsePositiveInt)
    .option('--concurrency <n>', 'requests in flight at once', parsePositiveInt)
    .option('--max-tokens <n>', 'most output tokens one request may ask for', parsePositiveInt)
    .addOption(
      new Option('--max-tokens-mode <mode>', 'over --max-tokens: clamp the request or reject it').choices([
        'clamp',
        'reject',
      ]),
    )
    .option('--budget <usd/period>', 'USD budget, repeatable: 5/day, 50/month:soft', collectBudget);
}

/** The `limits` object for the flags given, or undefined when none was. */
export function limitsFrom(options: LimitOptions): Record<string, unknown> | undefined {
  const fields = Object.entries({
    rpm: options.rpm,
    tpm: options.tpm,
    concurrency: options.concurrency,
    max_tokens: options.maxTokens,
    max_tokens_mode: options.maxTokensMode,
    budgets: options.budget,
  }).filter(([, value]) => value !== undefined);
  return fields.length > 0 ? Object.fromEntries(fields) : undefined;
}

/**
 * `keys update` and `projects update`: the given flags change those limits and keep the others
 * (`--budget` replaces the whole list of budgets).
 */
export async function patchLimits(
  client: AdminClient,
  path: string,
  options: LimitOptions,
): Promise<unknown> {
  const changes = limitsFrom(options);
  if (!changes) throw new UsageError('give at least one limit to change, e.g. --rpm 60 or --budget 5/day');
  const current = record(record(await client.get(path)).limits);
  return client.patch(path, { limits: { ...current, ...changes } });
}
