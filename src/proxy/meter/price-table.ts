import { calcPrice } from '@pydantic/genai-prices';
import type { PriceOverride } from '../../config/config.js';
import type { ProviderType } from '../../domain/records.js';
import type { TokenCounts } from '../../domain/usage.js';
import { rememberRecent } from '../../lib/recent-memo.js';

/** USD per million tokens of each kind. */
interface Rates {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
}

export interface PriceTable {
  /** Cost in billionths of a dollar, or null when the model has no known price. */
  costNanoUsd(providerType: ProviderType, model: string, tokens: TokenCounts): number | null;
}

const MAX_CACHED_MODELS = 10_000;

/** genai-prices ids for our provider types; `openai-compatible` models are matched by name alone. */
const PRICE_PROVIDER: Record<ProviderType, string | undefined> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'openai-compatible': undefined,
};

/**
 * Prices from the maintained @pydantic/genai-prices table, with operator overrides winning and an
 * optional fallback for unknown models. Rates are looked up once per model and cached, since the
 * package's lookup costs tens of microseconds and the hot path runs it for every request.
 */
export function createPriceTable(options: {
  overrides: Readonly<Record<string, PriceOverride>>;
  fallback: PriceOverride | undefined;
  /** Called for every request priced at null. */
  onUnpriced?: (providerType: ProviderType, model: string) => void;
}): PriceTable {
  const fromOverride = (o: PriceOverride): Rates => ({
    input: o.input_per_mtok,
    cachedInput: o.cached_input_per_mtok ?? o.input_per_mtok,
    cacheWrite: o.input_per_mtok,
    output: o.output_per_mtok,
  });

  const lookup = (providerType: ProviderType, model: string): Rates | 'tiered' | null => {
    const override = options.overrides[`${providerType}/${model}`] ?? options.overrides[model];
    if (override) return fromOverride(override);
    const providerId = PRICE_PROVIDER[providerType];
    const found = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, providerId ? { providerId } : {});
    const price = found?.model_price as Record<string, unknown> | undefined;
    if (price && Object.values(price).some((v) => typeof v === 'object' && v !== null)) return 'tiered';
    const input = flat(price?.input_mtok);
    if (input !== undefined) {
      return {
        input,
        // Embedding models have no output price: they produce no output tokens.
        output: flat(price?.output_mtok) ?? 0,
        cachedInput: flat(price?.cache_read_mtok) ?? input,
        cacheWrite: flat(price?.cache_write_mtok) ?? input,
      };
    }
    if (options.fallback) return fromOverride(options.fallback);
    return null;
  };

  // One memo per provider type, keyed by the model name as the request gave it (a joined key would be
  // a new string to build and hash per request). Model names come from clients, so it is bounded.
  const ratesOf = Object.fromEntries(
    (Object.keys(PRICE_PROVIDER) as ProviderType[]).map((type) => [
      type,
      rememberRecent((model) => lookup(type, model), MAX_CACHED_MODELS),
    ]),
  ) as Record<ProviderType, (model: string) => Rates | 'tiered' | null>;

  return {
    costNanoUsd(providerType, model, tokens) {
      const rates = ratesOf[providerType](model);
      if (rates === null) {
        options.onUnpriced?.(providerType, model);
        return null;
      }
      if (rates === 'tiered') return tieredCost(providerType, model, tokens);
      const uncached = Math.max(0, tokens.inputTokens - tokens.cachedTokens - tokens.cacheWriteTokens);
      // USD per million tokens × tokens × 1000 = billionths of a dollar.
      const nano =
        (uncached * rates.input +
          tokens.cachedTokens * rates.cachedInput +
          tokens.cacheWriteTokens * rates.cacheWrite +
          tokens.outputTokens * rates.output) *
        1000;
      return Math.round(nano);
    },
  };
}

/** Models priced in tiers (by prompt length) go through the package's own calculation each time. */
function tieredCost(providerType: ProviderType, model: string, tokens: TokenCounts): number | null {
  const providerId = PRICE_PROVIDER[providerType];
  const result = calcPrice(
    {
      input_tokens: tokens.inputTokens,
      cache_read_tokens: tokens.cachedTokens,
      cache_write_tokens: tokens.cacheWriteTokens,
      output_tokens: tokens.outputTokens,
    },
    model,
    providerId ? { providerId } : {},
  );
  return result ? Math.round(result.total_price * 1e9) : null;
}

function flat(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
