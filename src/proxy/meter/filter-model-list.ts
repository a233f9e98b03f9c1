import type { Readable } from 'node:stream';
import type { Matcher } from '../../domain/glob.js';

/** A model list is small; it is read whole so that only the models a key may use are shown. */
const MAX_LIST_BYTES = 8 * 1024 * 1024;

export async function filterModelList(body: Readable, allowsModel: Matcher): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_LIST_BYTES) {
      body.destroy();
      return { object: 'list', data: [] };
    }
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { object: 'list', data: [] };
  }
  const list = parsed as { data?: unknown };
  if (!Array.isArray(list.data)) return parsed;
  const data = list.data.filter((entry) => typeof entry?.id === 'string' && allowsModel(entry.id));
  const filtered: Record<string, unknown> = { ...list, data };
  // Anthropic's list names its first and last entries; keep them true to what is shown.
  if ('first_id' in filtered) filtered.first_id = data[0]?.id ?? null;
  if ('last_id' in filtered) filtered.last_id = data.at(-1)?.id ?? null;
  return filtered;
}
