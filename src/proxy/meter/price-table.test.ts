import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it, vi } from 'vitest';
import type { TokenCounts } from '../../domain/usage.js';
import { createPriceTable } from './price-table.js';

const tokens = (t: Partial<TokenCounts>): TokenCounts => ({
  inputTokens: 0,
  outputTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  ...t,
});

const bundled = () => createPriceTable({ overrides: {}, fallback: undefined });

/** What the package itself says, in billionths of a dollar. */
function packageNanoUsd(model: string, providerId: string, t: TokenCounts): number {
  const result = calcPrice(
    {
      input_tokens: t.inputTokens,
      cache_read_tokens: t.cachedTokens,
      cache_write_tokens: t.cacheWriteTokens,
      output_tokens: t.outputTokens,
    },
    model,
    { providerId },
  );
  if (!result) throw new Error(`genai-prices has no price for ${model}`);
  return result.total_price * 1e9;
}

describe('price table', () => {
  it('prices gpt-4o-mini as the bundled genai-prices table does', () => {
    const usage = tokens({ inputTokens: 1_000, outputTokens: 500, cachedTokens: 200 });
    const cost = bundled().costNanoUsd('openai', 'gpt-4o-mini', usage);
    expect(cost).not.toBeNull();
    expect(Number.isInteger(cost)).toBe(true);
    expect(Math.abs((cost ?? 0) - packageNanoUsd('gpt-4o-mini', 'openai', usage))).toBeLessThanOrEqual(1);
    // 800 × $0.15 + 200 × $0.075 + 500 × $0.60 per million tokens.
    expect(cost).toBe(435_000);
  });

  it('charges cached prompt tokens less than uncached ones', () => {
    const table = bundled();
    const uncached = table.costNanoUsd('openai', 'gpt-4o-mini', tokens({ inputTokens: 10_000 }));
    const cached = table.costNanoUsd(
      'openai',
      'gpt-4o-mini',
      tokens({ inputTokens: 10_000, cachedTokens: 8_000 }),
    );
    expect(cached).not.toBeNull();
    expect(cached ?? Number.POSITIVE_INFINITY).toBeLessThan(uncached ?? 0);
  });

  it('prices nothing as zero', () => {
    expect(bundled().costNanoUsd('openai', 'gpt-4o-mini', tokens({}))).toBe(0);
  });

  it('lets an override win over the bundled price', () => {
    const table = createPriceTable({
      overrides: { 'gpt-4o-mini': { input_per_mtok: 1, output_per_mtok: 2 } },
      fallback: undefined,
    });
    // 1000 × $1 + 500 × $2 per million = $0.002; cached tokens cost the input price by default.
    expect(
      table.costNanoUsd('openai', 'gpt-4o-mini', tokens({ inputTokens: 1_000, outputTokens: 500 })),
    ).toBe(2_000_000);
    expect(
      table.costNanoUsd('openai', 'gpt-4o-mini', tokens({ inputTokens: 1_000, cachedTokens: 1_000 })),
    ).toBe(1_000_000);
  });

  it('uses an override cached-input price, and a provider-qualified override only for that provider', () => {
    const table = createPriceTable({
      overrides: {
        'openai-compatible/llama-3.1-8b': {
          input_per_mtok: 0.05,
          output_per_mtok: 0.08,
          cached_input_per_mtok: 0.01,
        },
        'llama-3.1-8b': { input_per_mtok: 9, output_per_mtok: 9 },
      },
      fallback: undefined,
    });
    const usage = tokens({ inputTokens: 1_000_000, cachedTokens: 500_000, outputTokens: 1_000_000 });
    // 500k × 0.05 + 500k × 0.01 + 1M × 0.08 = $0.11
    expect(table.costNanoUsd('openai-compatible', 'llama-3.1-8b', usage)).toBe(110_000_000);
    expect(table.costNanoUsd('openai', 'llama-3.1-8b', usage)).toBe(18_000_000_000);
  });

  it('returns null for an unknown model and reports every such request', () => {
    const onUnpriced = vi.fn();
    const table = createPriceTable({ overrides: {}, fallback: undefined, onUnpriced });
    const usage = tokens({ inputTokens: 10, outputTokens: 10 });
    expect(table.costNanoUsd('openai-compatible', 'my-private-finetune-xyz', usage)).toBeNull();
    expect(table.costNanoUsd('openai-compatible', 'my-private-finetune-xyz', usage)).toBeNull();
    expect(onUnpriced).toHaveBeenCalledTimes(2);
    expect(onUnpriced).toHaveBeenCalledWith('openai-compatible', 'my-private-finetune-xyz');
    table.costNanoUsd('openai', 'gpt-4o-mini', usage);
    expect(onUnpriced).toHaveBeenCalledTimes(2);
  });

  it('uses the fallback price for an unknown model when one is configured', () => {
    const onUnpriced = vi.fn();
    const table = createPriceTable({
      overrides: {},
      fallback: { input_per_mtok: 2, output_per_mtok: 4 },
      onUnpriced,
    });
    expect(
      table.costNanoUsd(
        'openai-compatible',
        'my-private-finetune-xyz',
        tokens({ inputTokens: 1_000, outputTokens: 1_000 }),
      ),
    ).toBe(6_000_000);
    expect(onUnpriced).not.toHaveBeenCalled();
    // A known model keeps its own price.
    const usage = tokens({ inputTokens: 1_000, outputTokens: 500 });
    expect(table.costNanoUsd('openai', 'gpt-4o-mini', usage)).toBe(
      bundled().costNanoUsd('openai', 'gpt-4o-mini', usage),
    );
  });

  it('prices a tiered model (claude-sonnet-4-5) as the package does, on both sides of the tier', () => {
    const table = bundled();
    const small = tokens({
      inputTokens: 10_000,
      cachedTokens: 2_000,
      cacheWriteTokens: 1_000,
      outputTokens: 800,
    });
    const large = tokens({
      inputTokens: 300_000,
      cachedTokens: 1_000,
      cacheWriteTokens: 2_000,
      outputTokens: 1_000,
    });
    const smallCost = table.costNanoUsd('anthropic', 'claude-sonnet-4-5', small);
    const largeCost = table.costNanoUsd('anthropic', 'claude-sonnet-4-5', large);
    expect(smallCost).not.toBeNull();
    expect(largeCost).not.toBeNull();
    expect(
      Math.abs((smallCost ?? 0) - packageNanoUsd('claude-sonnet-4-5', 'anthropic', small)),
    ).toBeLessThanOrEqual(1);
    expect(
      Math.abs((largeCost ?? 0) - packageNanoUsd('claude-sonnet-4-5', 'anthropic', large)),
    ).toBeLessThanOrEqual(1);
    // Past 200k prompt tokens every token costs more, so doubling the prompt more than doubles the cost.
    const half = table.costNanoUsd('anthropic', 'claude-sonnet-4-5', tokens({ inputTokens: 125_000 }));
    const full = table.costNanoUsd('anthropic', 'claude-sonnet-4-5', tokens({ inputTokens: 250_000 }));
    expect(full ?? 0).toBeGreaterThan(2 * (half ?? Number.POSITIVE_INFINITY));
  });
});
