import {
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
  stringEnd,
} from '../../lib/json-scan.js';

const isSpace = (byte: number | undefined) =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * The value of a top-level member of a JSON object (the last one, as `JSON.parse` keeps it), parsed
 * on its own: the rest of the document is walked, not built. A usage report is a few dozen bytes at
 * the end of an answer whose choices and message text would otherwise all become objects and strings.
 * The walk checks the document's structure (strings closed, brackets balanced, nothing after the
 * object); returns undefined when the member is absent or the body is not a JSON object.
 */
export function topLevelMember(body: Buffer, name: string): unknown {
  const wanted = Buffer.from(name, 'utf8');
  let i = 0;
  while (isSpace(body[i])) i++;
  if (body[i] !== OPEN_OBJECT) return undefined;
  i++;
  let depth = 1;
  let expectKey = true;
  let matched = false;
  let valueStart = -1;
  let found: [number, number] | undefined;
  for (; i < body.length && depth > 0; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      const end = stringEnd(body, i);
      if (end < 0) return undefined;
      if (depth === 1 && expectKey) {
        matched = end - i - 1 === wanted.length && body.compare(wanted, 0, wanted.length, i + 1, end) === 0;
        expectKey = false;
      }
      i = end;
    } else if (byte === COLON) {
      if (depth === 1 && matched) valueStart = i + 1;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
      if (depth === 0 && valueStart >= 0) found = [valueStart, i];
    } else if (byte === COMMA && depth === 1) {
      if (valueStart >= 0) found = [valueStart, i];
      valueStart = -1;
      matched = false;
      expectKey = true;
    }
  }
  if (depth !== 0) return undefined;
  while (isSpace(body[i])) i++;
  if (i !== body.length || !found) return undefined;
  try {
    return JSON.parse(body.toString('utf8', found[0], found[1]));
  } catch {
    return undefined;
  }
}
