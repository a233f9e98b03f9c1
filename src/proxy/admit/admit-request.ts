import type { CounterState, Counters, Reservation, ReserveOutcome } from '../../counters/counters.js';
import { GatewayError } from '../../domain/errors.js';
import type { Budget, KeyRecord, Limits, ProviderType } from '../../domain/records.js';
import { NANO_PER_USD } from '../../domain/usage.js';
import { type ClaimInfo, type ClaimSubject, claimsFor, hasTokenLimits } from '../../limits/limit-claims.js';
import { seedBudgets } from '../../limits/seed-budgets.js';
import type { Store } from '../../store/store.js';
import type { CompiledKey } from '../authenticate/key-directory.js';
import type { InspectedRequest } from '../inspect/inspect-request.js';
import type { PriceTable } from '../meter/price-table.js';
import { estimateInputTokens, inputTokenBound } from './estimate-input-tokens.js';
import { boundOutput } from './output-bound.js';
import type { ProjectDirectory } from './project-directory.js';
import { rateLimitHeaders } from './rate-limit-headers.js';

/** A budget crossing one of its alert thresholds (soft or hard). */
export interface BudgetThresholdEvent {
  scope: 'key' | 'project';
  subjectId: string;
  period: string;
  soft: boolean;
  percent: number;
  usedUsd: number;
  limitUsd: number;
  resetsAt: number;
}

export interface AdmissionDeps {
  counters: Counters;
  projects: ProjectDirectory;
  store: Store;
  prices: PriceTable;
  timeZone: string;
  defaultMaxOutputTokens: number;
  onBudgetThreshold: (event: BudgetThresholdEvent) => void;
  /** The keys that delegated a key: a delegated key's spend counts against their budgets too. */
  ancestors?: (key: KeyRecord) => Promise<KeyRecord[]>;
}

/** What admission took for a request; settled exactly once when the request ends. */
export interface Admission {
  /** `x-ratelimit-*` headers for the response. */
  headers: Record<string, string>;
  /** True when admission wrote into the JSON body (an output bound), which must then be re-serialised. */
  bodyChanged: boolean;
  /** Whether a stream cut short should have its delivered text counted (a budget or token rate applies). */
  countsTokens: boolean;
  settle(actual: { costNano: number; tokens: number }): Promise<void>;
  /** Gives everything back: the request never reached the upstream. */
  release(): Promise<void>;
}

const DEFAULT_ALERT_AT = [50, 80, 100];
const NOTHING: Admission = {
  headers: {},
  bodyChanged: false,
  countsTokens: false,
  settle: async () => undefined,
  release: async () => undefined,
};

/**
 * Admission: before anything goes upstream, reserve the request's worst case against every limit of
 * its key and its project at once — a rate slot, a concurrency slot, and for each budget the most the
 * request can cost (estimated prompt tokens plus its output bound, at the model's prices). Concurrent
 * requests therefore cannot push settled spend past a hard budget: each holds its worst case until it
 * settles to what it really cost.
 */
export function createAdmission(deps: AdmissionDeps) {
  const alerted = new Map<string, number>();

  const checkThresholds = (infos: readonly ClaimInfo[], states: readonly CounterState[]) => {
    for (const state of states) {
      const info = infoOf(infos, state.counter);
      if (!info?.budget || !info.window || state.limit <= 0) continue;
      const percent = (state.used / state.limit) * 100;
      let crossed: number | undefined;
      for (const threshold of info.budget.alert_at ?? DEFAULT_ALERT_AT)
        if (percent >= threshold && (crossed === undefined || threshold > crossed)) crossed = threshold;
      if (crossed === undefined || (alerted.get(state.counter) ?? 0) >= crossed) continue;
      alerted.set(state.counter, crossed);
      deps.onBudgetThreshold({
        scope: info.scope,
        subjectId: info.subjectId,
        period: info.budget.period,
        soft: info.budget.soft === true,
        percent: crossed,
        usedUsd: state.used / NANO_PER_USD,
        limitUsd: state.limit / NANO_PER_USD,
        resetsAt: info.window.end,
      });
    }
  };

  return async function admit(input: {
    key: CompiledKey;
    providerType: ProviderType;
    inspected: InspectedRequest;
    now: number;
  }): Promise<Admission> {
    const { key, inspected, now } = input;
    const project = await deps.projects.byId(key.record.projectId);
    const keyLimits = key.record.limits;
    const projectLimits = project?.limits ?? {};
    // Only the ancestors' budgets apply to a delegated key, not their rates.
    const chain: ClaimSubject[] = [];
    // A key without a parent (nearly every request) skips the lookup and its await.
    if (key.record.parentId !== null && deps.ancestors) {
      for (const ancestor of await deps.ancestors(key.record)) {
        const limits = budgetsOnly(ancestor.limits);
        if (limits) chain.push({ scope: 'key', id: ancestor.id, projectId: key.record.projectId, limits });
      }
    }
    const maxTokensLimit = minDefined(keyLimits.max_tokens, projectLimits.max_tokens);
    const countsTokens = hasTokenLimits(keyLimits) || hasTokenLimits(projectLimits) || chain.length > 0;
    const hasClaims = countsTokens || takesSlots(keyLimits) || takesSlots(projectLimits);
    const { maxOutput, changed } = boundOutput({
      json: inspected.json,
      endpoint: inspected.endpoint,
      providerType: input.providerType,
      limit: maxTokensLimit,
      mode: keyLimits.max_tokens_mode ?? projectLimits.max_tokens_mode ?? 'clamp',
      needsBound: countsTokens,
      defaultMax: deps.defaultMaxOutputTokens,
    });
    if (!hasClaims) return { ...NOTHING, bodyChanged: changed };

    const hardBudget =
      hasHardBudget(keyLimits) || hasHardBudget(projectLimits) || chain.some((a) => hasHardBudget(a.limits));
    const keySubject: ClaimSubject = {
      scope: 'key',
      id: key.record.id,
      projectId: key.record.projectId,
      limits: keyLimits,
    };
    const projectSubject: ClaimSubject = {
      scope: 'project',
      id: key.record.projectId,
      projectId: key.record.projectId,
      limits: projectLimits,
    };
    const reserveFor = async (inputTokens: number) => {
      const tokens = inputTokens + maxOutput;
      let costNano = 0;
      if (countsTokens && inspected.model !== null && tokens > 0) {
        const priced = deps.prices.costNanoUsd(input.providerType, inspected.model, {
          inputTokens,
          outputTokens: maxOutput,
          cachedTokens: 0,
          cacheWriteTokens: 0,
        });
        if (priced === null && hardBudget) {
          throw new GatewayError(
            'unpriced_model',
            `model ${inspected.model} has no known price, so this key's hard budget cannot bound it`,
          );
        }
        costNano = priced ?? 0;
      }
      const request = { tokens, costNano, now, timeZone: deps.timeZone };
      const infos = claimsFor(keySubject, request);
      claimsFor(projectSubject, request, infos);
      for (const ancestor of chain) claimsFor(ancestor, request, infos);
      const claims = infos.map((i) => i.claim);
      let outcome = await deps.counters.reserve(claims, now);
      if (!outcome.ok && 'unseeded' in outcome) {
        await seedBudgets(deps, infos, outcome.unseeded, now);
        outcome = await deps.counters.reserve(claims, now);
      }
      if (!outcome.ok && 'unseeded' in outcome)
        throw new Error('budget counters still unseeded after seeding');
      return { outcome, infos, costNano };
    };

    // The cheap upper bound first; the tokenizer's estimate only when the bound does not fit.
    let attempt = await reserveFor(countsTokens ? inputTokenBound(inspected.json, input.providerType) : 0);
    if (!attempt.outcome.ok && countsTokens && refusedByTokens(attempt.infos, attempt.outcome)) {
      attempt = await reserveFor(await estimateInputTokens(inspected.json, input.providerType));
    }
    const { outcome, infos, costNano } = attempt;
    if (!outcome.ok) {
      if ('unseeded' in outcome) throw new Error('budget counters still unseeded after seeding');
      const headers = rateLimitHeaders(infos, outcome.states, now);
      throw refusal(
        infos.find((i) => i.claim === outcome.refused),
        outcome.retryAfterMs,
        costNano,
        outcome.states,
        headers,
      );
    }
    const reservation: Reservation = outcome.reservation;
    const headers = rateLimitHeaders(infos, outcome.states, now);
    let done = false;
    return {
      headers,
      bodyChanged: changed,
      countsTokens,
      async settle(actual) {
        if (done) return;
        done = true;
        checkThresholds(infos, await deps.counters.settle(reservation, actual, now));
      },
      async release() {
        if (done) return;
        done = true;
        await deps.counters.release(reservation, now);
      },
    };
  };
}

export type Admit = ReturnType<typeof createAdmission>;

/** Whether a refusal came from a limit that a smaller token estimate could still fit (a token rate, a budget). */
function refusedByTokens(infos: readonly ClaimInfo[], outcome: ReserveOutcome): boolean {
  if (outcome.ok || 'unseeded' in outcome) return false;
  const limit = infos.find((i) => i.claim === outcome.refused)?.limit;
  return limit === 'tpm' || limit === 'budget';
}

function infoOf(infos: readonly ClaimInfo[], counter: string): ClaimInfo | undefined {
  for (const info of infos) if (info.claim.counter === counter) return info;
  return undefined;
}

// A request rate or a concurrency cap: every request takes from it, whatever its tokens.
const takesSlots = (limits: Limits) => limits.rpm !== undefined || limits.concurrency !== undefined;
const isHard = (budget: Budget) => !budget.soft;
const hasHardBudget = (limits: Limits) => limits.budgets?.some(isHard) === true;

/**
 * An ancestor's limits as they apply to a key it delegated to: its budgets only, or undefined when it
 * has none. One object per ancestor's limits, so its counter names are built once, not per request.
 */
const budgetOnlyLimits = new WeakMap<Limits, Limits | null>();
function budgetsOnly(limits: Limits): Limits | undefined {
  let only = budgetOnlyLimits.get(limits);
  if (only === undefined) {
    only = (limits.budgets?.length ?? 0) > 0 ? { budgets: limits.budgets } : null;
    budgetOnlyLimits.set(limits, only);
  }
  return only ?? undefined;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

const usd = (nano: number) => `$${(nano / NANO_PER_USD).toFixed(nano > 0 && nano < 10_000_000 ? 4 : 2)}`;

function refusal(
  info: ClaimInfo | undefined,
  retryAfterMs: number,
  costNano: number,
  states: readonly CounterState[],
  headers: Record<string, string>,
): GatewayError {
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  const owner = info?.scope === 'project' ? "this key's project" : 'this API key';
  if (info?.limit === 'budget' && info.budget && info.window) {
    const state = states.find((s) => s.counter === info.claim.counter);
    const remaining = state ? state.remaining : 0;
    const resets = Number.isFinite(info.window.end)
      ? `; it resets at ${new Date(info.window.end).toISOString()}`
      : '';
    return new GatewayError(
      'budget_exceeded',
      `${owner} has a ${usd(info.budget.usd * NANO_PER_USD)} ${info.budget.period === 'total' ? 'total' : `per-${info.budget.period}`} budget with ${usd(remaining)} left, and this request may cost up to ${usd(costNano)}${resets}`,
      // Waiting does not help until the period turns: tell SDKs not to retry on their own.
      { headers: { ...headers, 'retry-after': retryAfter, 'x-should-retry': 'false' } },
    );
  }
  const what =
    info?.limit === 'concurrency'
      ? `too many requests in flight for ${owner} (limit ${info.claim.kind === 'concurrency' ? info.claim.limit : '?'})`
      : `${owner} is over its ${info?.limit === 'tpm' ? 'tokens' : 'requests'}-per-minute limit`;
  return new GatewayError('rate_limited', `${what}; retry after ${retryAfter}s`, {
    headers: { ...headers, 'retry-after': retryAfter },
  });
}
