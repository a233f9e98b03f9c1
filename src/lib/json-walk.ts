/**
 * Walks that answer one question of a JSON document without building it again: how deep its text
 * or its parsed value nests, and what one top-level member of its text holds. They run on every
 * proxied request, so the character codes are this module's own constants (the JIT folds them;
 * imported bindings are loaded each time).
 */
// Character codes that give JSON text its structure.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The index of the quote that closes the string opened at `open`, or -1 when it never closes. A
 * quote is escaped when an odd number of backslashes precede it. Strings are most of a chat body's
 * bytes: they are skipped with `indexOf`, not walked character by character.
 */
function stringEnd(text: string, open: number): number {
  let quote = text.indexOf('"', open + 1);
  while (quote >= 0) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/**
 * How deeply a JSON text nests, counted without parsing it, stopping as soon as `max` is passed.
 * Deep nesting is refused before schema validation, `JSON.stringify` or the gateway's own walks of a
 * body recurse into it (V8's `JSON.parse` itself does not recurse).
 */
export function exceedsJsonDepth(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return false;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/** The walk's stack, kept between calls (the walk is synchronous) so that a request allocates none. */
const pending: object[] = [];
const depths: number[] = [];

/**
 * The same question as `exceedsJsonDepth`, asked of a parsed value: whether objects and arrays nest
 * more than `max` levels. Walked with a stack of its own, so no limit can make it overflow the call
 * stack; only objects and arrays are visited, so a body of long strings costs next to nothing.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  pending.push(value);
  depths.push(1);
  try {
    while (pending.length > 0) {
      const node = pending.pop() as Record<string, unknown>;
      const depth = depths.pop() as number;
      if (depth > max) return true;
      if (Array.isArray(node)) {
        for (const item of node) {
          if (typeof item === 'object' && item !== null) {
            pending.push(item);
            depths.push(depth + 1);
          }
        }
      } else {
        for (const name in node) {
          const item = node[name];
          if (typeof item === 'object' && item !== null) {
            pending.push(item);
            depths.push(depth + 1);
          }
        }
      }
    }
    return false;
  } finally {
    // Nothing of this body may stay reachable from the module.
    pending.length = 0;
    depths.length = 0;
  }
}

const isSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * The value of a top-level member of a JSON object (the last one, as `JSON.parse` keeps it), parsed
 * on its own: the rest of the document is walked, not built. A usage report is a few dozen bytes at
 * the end of an answer whose choices and message text would otherwise all become objects and strings.
 * The walk checks the document's structure (strings closed, as many brackets closed as opened,
 * nothing after the object) but not its numbers and literals: a body `JSON.parse` refuses for a
 * malformed number may still give its usage. Returns undefined when the member is absent or the body
 * is not a JSON object.
 */
export function topLevelMember(body: Buffer, name: string): unknown {
  // Walked as latin1 text: one character per byte, so positions are byte offsets in the body, and
  // `String#indexOf` and `charCodeAt` are builtins the JIT inlines, where a Buffer's `indexOf`
  // crosses into C++ on every call.
  const text = body.toString('latin1');
  // Names are ASCII, so the quoted name is the same in latin1 text as in the body's bytes.
  const quoted = `"${name}"`;
  let i = 0;
  while (isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
  i++;
  let depth = 1;
  let expectKey = true;
  let matched = false;
  let valueStart = -1;
  let found: [number, number] | undefined;
  for (; i < text.length && depth > 0; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      if (depth === 1 && expectKey) {
        matched = end - i + 1 === quoted.length && text.startsWith(quoted, i);
        expectKey = false;
      }
      i = end;
    } else if (c === COLON) {
      if (depth === 1 && matched) valueStart = i + 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === 0 && valueStart >= 0) found = [valueStart, i];
    } else if (c === COMMA && depth === 1) {
      if (valueStart >= 0) found = [valueStart, i];
      valueStart = -1;
      matched = false;
      expectKey = true;
    }
  }
  if (depth !== 0) return undefined;
  while (isSpace(text.charCodeAt(i))) i++;
  if (i !== text.length || !found) return undefined;
  try {
    return JSON.parse(body.toString('utf8', found[0], found[1]));
  } catch {
    return undefined;
  }
}
