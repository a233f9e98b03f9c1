import type { TokenCounts, UsageEvent } from '../../domain/usage.js';
import type { Clock } from '../../lib/clock.js';
import { newTimeOrderedId } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { Admission } from '../admit/admit-request.js';
import { countDeliveredTokens, estimateInputTokens } from '../admit/estimate-input-tokens.js';
import type { CompiledKey } from '../authenticate/key-directory.js';
import type { InspectedRequest } from '../inspect/inspect-request.js';
import type { LiveProvider } from '../upstream/provider-directory.js';
import type { PriceTable } from './price-table.js';
import type { UsageWriter } from './usage-writer.js';

export interface MeterDeps {
  prices: PriceTable;
  usage: UsageWriter;
  clock: Clock;
  logger: Logger;
}

export interface MeterContext {
  request: { requestId: string; clientIp: string };
  key: CompiledKey;
  provider: LiveProvider;
  inspected: InspectedRequest;
  receivedAt: number;
  admission: Admission;
}

export interface Finished {
  status: number;
  tokens: Partial<TokenCounts> | null;
  firstByteAt: number | null;
  /** False when the body was cut off (client gone, upstream failed) before its end. */
  complete: boolean;
  /** Text the client received, collected only when a budget or token rate needs it. */
  deliveredText: string;
}

export interface MeteredRequest {
  /** Records the request's usage event and settles its admission; later calls are ignored. */
  finish(result: Finished): void;
  /** The request never got an answer from upstream: recorded with `status`, admission released. */
  abandon(status: number): void;
}

/**
 * Turns a finished request into its usage event (tokens as reported, priced, queued for writing)
 * and settles what admission reserved to what the request really cost. A stream cut off before its
 * usage report is settled to what was delivered, counted with the tokenizer, so spend is never
 * under-counted for the tokens a client received.
 */
export function createMeter({ prices, usage, clock, logger }: MeterDeps) {
  const failed = (error: unknown) =>
    logger.error({ err: error }, 'settling a request with the limit counters failed');
  return {
    start(context: MeterContext): MeteredRequest {
      let finished = false;

      const record = (
        status: number,
        tokens: TokenCounts,
        costNanoUsd: number | null,
        ttfbAt: number | null,
      ) => {
        const { key, provider, inspected, receivedAt, request } = context;
        const event: UsageEvent = {
          id: newTimeOrderedId('req', receivedAt),
          ts: receivedAt,
          requestId: request.requestId,
          keyId: key.record.id,
          projectId: key.record.projectId,
          providerId: provider.record.id,
          providerName: provider.record.name,
          model: inspected.model,
          endpoint: inspected.endpoint,
          status,
          inputTokens: tokens.inputTokens,
          outputTokens: tokens.outputTokens,
          cachedTokens: tokens.cachedTokens,
          costNanoUsd,
          latencyMs: clock.now() - receivedAt,
          ttfbMs: ttfbAt === null ? null : ttfbAt - receivedAt,
          clientIp: request.clientIp,
          streamed: inspected.stream,
        };
        usage.record(event);
      };

      return {
        finish({ status, tokens: reported, firstByteAt, complete, deliveredText }) {
          if (finished) return;
          finished = true;
          const tokens: TokenCounts = {
            inputTokens: reported?.inputTokens ?? 0,
            outputTokens: reported?.outputTokens ?? 0,
            cachedTokens: reported?.cachedTokens ?? 0,
            cacheWriteTokens: reported?.cacheWriteTokens ?? 0,
          };
          const settle = () => {
            const model = context.inspected.model;
            const billable = tokens.inputTokens + tokens.outputTokens > 0;
            const cost = !billable
              ? 0
              : model === null
                ? null
                : prices.costNanoUsd(context.provider.record.type, model, tokens);
            record(complete ? status : 499, tokens, cost, firstByteAt);
            return context.admission.settle({
              costNano: cost ?? 0,
              tokens: tokens.inputTokens + tokens.outputTokens,
            });
          };
          const cutShort = !complete && status < 300 && reported?.outputTokens === undefined;
          if (!cutShort || !context.admission.countsTokens) {
            settle().catch(failed);
            return;
          }
          // The upstream processed the prompt and produced what was delivered: count both.
          const { json } = context.inspected;
          Promise.all([
            tokens.inputTokens || estimateInputTokens(json, context.provider.record.type),
            countDeliveredTokens(deliveredText),
          ])
            .then(([input, output]) => {
              tokens.inputTokens = input;
              tokens.outputTokens = output;
              return settle();
            })
            .catch(failed);
        },
        abandon(status) {
          if (finished) return;
          finished = true;
          record(status, { inputTokens: 0, outputTokens: 0, cachedTokens: 0, cacheWriteTokens: 0 }, 0, null);
          context.admission.release().catch(failed);
        },
      };
    },
  };
}
