import type { TokenCounts } from '../../domain/usage.js';
import type { ProviderAdapter } from '../upstream/providers/provider-adapter.js';

/** Token usage from a whole JSON answer; null when it is not JSON (an HTML error page, say) or has none. */
export function usageFromJson(
  adapter: ProviderAdapter,
  endpoint: string,
  body: Buffer,
): Partial<TokenCounts> | null {
  try {
    return adapter.usageFromBody(endpoint, JSON.parse(body.toString('utf8')));
  } catch {
    return null;
  }
}
