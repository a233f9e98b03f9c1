import type { TokenCounts } from '../../domain/usage.js';
import { topLevelMember } from '../../lib/json-walk.js';
import type { ProviderAdapter } from '../upstream/providers/provider-adapter.js';

/**
 * Token usage from a whole JSON answer; null when it is not a JSON object (an HTML error page, say)
 * or reports none. Both dialects report a whole answer's usage in its top-level `usage` member, so
 * only that member is parsed and handed to the adapter.
 */
export function usageFromJson(
  adapter: ProviderAdapter,
  endpoint: string,
  body: Buffer,
): Partial<TokenCounts> | null {
  const usage = topLevelMember(body, 'usage');
  return usage === undefined ? null : adapter.usageFromBody(endpoint, usage);
}
