import { GatewayError, jsonTooDeep } from '../../domain/errors.js';
import { isValidModelName } from '../../domain/model-name.js';
import { nestsDeeperThan } from '../../lib/json-walk.js';
import { rememberRecent } from '../../lib/recent-memo.js';
import { modelFromMultipart } from './multipart-model.js';

/** Endpoints named in scopes; a path is matched to the longest one it starts with. */
const KNOWN_ENDPOINTS = [
  'chat/completions',
  'completions',
  'responses',
  'embeddings',
  'models',
  'moderations',
  'images/generations',
  'images/edits',
  'images/variations',
  'audio/speech',
  'audio/transcriptions',
  'audio/translations',
  'messages/count_tokens',
  'messages/batches',
  'messages',
  'files',
  'batches',
].sort((a, b) => b.length - a.length);

export interface InspectedRequest {
  /** Scope name of the endpoint, e.g. `chat/completions`. */
  endpoint: string;
  model: string | null;
  stream: boolean;
  /** The parsed JSON body, when there was one. */
  json: Record<string, unknown> | undefined;
}

/**
 * Dot segments would let a path be named one endpoint here (`models/../chat/completions`) and be
 * resolved to another upstream, so they are refused outright, encoded or not.
 */
function hasDotSegment(path: string): boolean {
  const bare = path.split('?', 1)[0] ?? '';
  return (
    bare.split('/').some((segment) => {
      const decoded = segment.replace(/%2e/gi, '.');
      return decoded === '.' || decoded === '..';
    }) || /%5c|\\/i.test(bare)
  );
}

/** `/v1/chat/completions?x=1` → `chat/completions`; unknown paths keep their full versionless path. */
export function endpointOf(path: string): string {
  const bare =
    path
      .split('?', 1)[0]
      ?.replace(/^\/+v\d+[a-z0-9]*\//i, '')
      .replace(/^\/+|\/+$/g, '') ?? '';
  return KNOWN_ENDPOINTS.find((known) => bare === known || bare.startsWith(`${known}/`)) ?? bare;
}

/** The endpoint of a path, refusing dot segments; remembered, as clients call the same few paths. */
const checkedEndpointOf = rememberRecent((path: string): string => {
  if (hasDotSegment(path)) {
    throw new GatewayError('validation_error', 'the request path must not contain "." or ".." segments');
  }
  return endpointOf(path);
});

/**
 * Reads what governance needs from a request: endpoint, model and whether it streams. Model names
 * are validated here, before they reach a scope check, a URL, a log line or a metric. A JSON body
 * nested deeper than `maxJsonDepth` is refused before anything recurses into it (V8's `JSON.parse`
 * itself does not, so the depth is checked on the parsed value and the text is walked only once).
 */
export function inspectRequest(
  method: string,
  path: string,
  headers: Record<string, unknown>,
  body: Buffer | undefined,
  maxJsonDepth: number,
) {
  const endpoint = checkedEndpointOf(path);
  let model: unknown = null;
  let json: Record<string, unknown> | undefined;
  // Media types are case-insensitive: `Application/JSON` must not slip past the model scope.
  const contentType = String(headers['content-type'] ?? '').toLowerCase();

  if (body && body.length > 0 && contentType.includes('json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new GatewayError('invalid_json', 'the request body is not valid JSON');
    }
    if (nestsDeeperThan(parsed, maxJsonDepth)) throw jsonTooDeep(maxJsonDepth);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      json = parsed as Record<string, unknown>;
      model = json.model ?? null;
    }
  } else if (body && contentType.startsWith('multipart/form-data')) {
    model = modelFromMultipart(body, contentType);
  } else if (method === 'GET' && endpoint === 'models') {
    const id = path.split('?', 1)[0]?.split('/models/')[1];
    model = id ? decodeURIComponent(id) : null;
  }

  if (model !== null && !isValidModelName(model)) {
    throw new GatewayError(
      'invalid_model_name',
      'model must be 1-128 letters, digits or ._:/@- characters, without ".." segments',
    );
  }
  return { endpoint, model, stream: json?.stream === true, json } satisfies InspectedRequest;
}
