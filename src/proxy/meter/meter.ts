import type { TokenCounts, UsageEvent } from '../../domain/usage.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { CompiledKey } from '../authenticate/key-directory.js';
import type { InspectedRequest } from '../inspect/inspect-request.js';
import type { LiveProvider } from '../upstream/provider-directory.js';
import type { PriceTable } from './price-table.js';
import type { UsageWriter } from './usage-writer.js';

export interface MeterDeps {
  prices: PriceTable;
  usage: UsageWriter;
  clock: Clock;
}

export interface MeterContext {
  request: { requestId: string; clientIp: string };
  key: CompiledKey;
  provider: LiveProvider;
  inspected: InspectedRequest;
  receivedAt: number;
}

export interface MeteredRequest {
  /**
   * Records the request's one usage event; later calls are ignored. A body cut off before its end
   * (`complete: false`) is recorded with status 499, keeping whatever usage was seen.
   */
  finish(
    status: number,
    tokens: Partial<TokenCounts> | null,
    firstByteAt: number | null,
    complete?: boolean,
  ): void;
}

/** Turns a finished request into its usage event: tokens as reported, priced, queued for writing. */
export function createMeter({ prices, usage, clock }: MeterDeps) {
  return {
    start(context: MeterContext): MeteredRequest {
      let finished = false;
      return {
        finish(status, reported, firstByteAt, complete = true) {
          if (finished) return;
          finished = true;
          const tokens: TokenCounts = {
            inputTokens: reported?.inputTokens ?? 0,
            outputTokens: reported?.outputTokens ?? 0,
            cachedTokens: reported?.cachedTokens ?? 0,
            cacheWriteTokens: reported?.cacheWriteTokens ?? 0,
          };
          const model = context.inspected.model;
          const billable = tokens.inputTokens + tokens.outputTokens > 0;
          const costNanoUsd =
            model === null
              ? billable
                ? null
                : 0
              : billable
                ? prices.costNanoUsd(context.provider.record.type, model, tokens)
                : 0;
          const now = clock.now();
          const event: UsageEvent = {
            id: newId('req'),
            ts: context.receivedAt,
            requestId: context.request.requestId,
            keyId: context.key.record.id,
            projectId: context.key.record.projectId,
            providerId: context.provider.record.id,
            providerName: context.provider.record.name,
            model,
            endpoint: context.inspected.endpoint,
            status: complete ? status : 499,
            inputTokens: tokens.inputTokens,
            outputTokens: tokens.outputTokens,
            cachedTokens: tokens.cachedTokens,
            costNanoUsd,
            latencyMs: now - context.receivedAt,
            ttfbMs: firstByteAt === null ? null : firstByteAt - context.receivedAt,
            clientIp: context.request.clientIp,
            streamed: context.inspected.stream,
          };
          usage.record(event);
        },
      };
    },
  };
}
