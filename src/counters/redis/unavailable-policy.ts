import { randomUUID } from 'node:crypto';
import { isGatewayError } from '../../domain/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Counters } from '../counters.js';

const LOG_EVERY_MS = 10_000;

/**
 * `fail-open-rates`: while Redis is unreachable, a request whose claims are only rate and
 * concurrency limits is admitted unlimited (logged, at most every 10 s). A request with any budget
 * claim still fails with `counters_unavailable`: spend is never left uncounted.
 */
export function failOpenForRates(counters: Counters, logger: Logger): Counters {
  let lastLog = 0;
  return {
    ...counters,
    async reserve(claims, now) {
      try {
        return await counters.reserve(claims, now);
      } catch (error) {
        const unavailable = isGatewayError(error) && error.code === 'counters_unavailable';
        if (!unavailable || claims.some((c) => c.kind === 'budget')) throw error;
        if (Date.now() - lastLog > LOG_EVERY_MS) {
          lastLog = Date.now();
          logger.error('Redis is unreachable: admitting requests WITHOUT rate and concurrency limits');
        }
        return { ok: true, reservation: { id: `unlimited-${randomUUID()}`, claims: [] }, states: [] };
      }
    },
  };
}
