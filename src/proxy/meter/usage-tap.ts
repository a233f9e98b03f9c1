import { StringDecoder } from 'node:string_decoder';
import type { TokenCounts } from '../../domain/usage.js';
import type { ProviderAdapter } from '../upstream/providers/provider-adapter.js';
import type { BodySink } from '../upstream/upstream-exchange.js';
import { usageFromJson } from './json-usage.js';
import { frameData, SseFrames } from './sse-frames.js';

/** What the tap learned by the time the body ended or was cut off. */
export interface TapResult {
  tokens: Partial<TokenCounts> | null;
  /** True when the upstream body ended normally (not cut by the client or the upstream). */
  complete: boolean;
  /** Time the first body byte went to the client, as given by `now()`. */
  firstByteAt: number | null;
  bytes: number;
  /** Text the client received (only with `collectText`), to count a cut-off stream's output. */
  deliveredText: string;
}

export interface TapOptions {
  adapter: ProviderAdapter;
  endpoint: string;
  kind: 'sse' | 'json' | 'opaque';
  /** The gateway asked upstream for a usage chunk the client did not want: remove it. */
  dropUsageChunk: boolean;
  /** Keep the generated text of forwarded SSE events (a budget or token rate needs it if the stream is cut). */
  collectText?: boolean;
  now: () => number;
  onDone: (result: TapResult) => void;
}

/** JSON bodies larger than this are forwarded but not parsed for usage. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Where the tap writes: the client's response, its head already sent. */
export interface TapOutput {
  write(chunk: Buffer | string): boolean;
  end(): void;
  destroy(error?: Error): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
}

/**
 * The sink an upstream body is piped into. It writes each chunk straight to the client's response,
 * so a stream costs one writable (the response) and no extra readable side or pipe per chunk.
 */
export interface UsageTap extends BodySink {
  /**
   * Starts writing to `out`. Resolves when `out` has closed: with the error that cut the body short
   * (an upstream failure, a revoked key), or one saying the client left, or undefined when complete.
   */
  deliverTo(out: TapOutput): Promise<Error | undefined>;
}

/**
 * Sits between the upstream body and the client. Chunks pass through as they arrive (an SSE
 * event is forwarded as soon as its last byte is in); on the way it reads token usage: from SSE
 * events that mention usage, or from the whole JSON body. Nothing but a JSON body below the cap is
 * ever held in memory.
 */
export function createUsageTap(options: TapOptions): UsageTap {
  const { adapter, endpoint, kind } = options;
  let tokens: Partial<TokenCounts> | null = null;
  let firstByteAt: number | null = null;
  let bytes = 0;
  let done = false;
  const jsonChunks: Buffer[] = [];
  let jsonBytes = 0;
  const frames = new SseFrames();
  let deliveredText = '';
  const decoder = new StringDecoder('utf8');
  let out: TapOutput | undefined;
  let failure: Error | undefined;
  let closed = false;
  const closeListeners: Array<() => void> = [];

  const merge = (found: Partial<TokenCounts> | null) => {
    if (found) tokens = { ...tokens, ...found };
  };

  /** Reads usage from one event; returns false when the event must not reach the client. */
  const inspectFrame = (frame: string): boolean => {
    if (options.collectText) deliveredText += generatedText(frame);
    if (!carriesUsage(frame)) return true;
    const data = frameData(frame);
    if (data === undefined || data === '[DONE]') return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return true;
    }
    merge(adapter.usageFromEvent(endpoint, parsed));
    const choices = (parsed as { choices?: unknown }).choices;
    return !(options.dropUsageChunk && Array.isArray(choices) && choices.length === 0);
  };

  const finish = (complete: boolean) => {
    if (done) return;
    done = true;
    if (kind === 'json' && complete && jsonBytes <= MAX_JSON_BYTES) {
      merge(usageFromJson(adapter, endpoint, Buffer.concat(jsonChunks)));
    }
    options.onDone({ tokens, complete, firstByteAt, bytes, deliveredText });
  };

  const close = () => {
    if (closed) return;
    closed = true;
    finish(false);
    for (const listener of closeListeners.splice(0)) listener();
  };

  /** What of `chunk` goes to the client: the chunk itself, or (when dropping) the events kept. */
  const forwarded = (chunk: Buffer): Buffer | string => {
    if (kind === 'sse') {
      const text = decoder.write(chunk);
      if (!options.dropUsageChunk) {
        // Nothing to remove: forward the original bytes untouched and only read along.
        for (const frame of frames.push(text)) inspectFrame(frame);
        bytes += chunk.length;
        return chunk;
      }
      let kept = '';
      for (const frame of frames.push(text)) if (inspectFrame(frame)) kept += frame;
      bytes += Buffer.byteLength(kept);
      return kept;
    }
    if (kind === 'json' && jsonBytes <= MAX_JSON_BYTES) {
      jsonChunks.push(chunk);
      jsonBytes += chunk.length;
    }
    bytes += chunk.length;
    return chunk;
  };

  return {
    deliverTo(output) {
      return new Promise((resolve) => {
        output.once('close', () => {
          close();
          resolve(
            failure ?? (output.writableFinished ? undefined : new Error('the client closed the connection')),
          );
        });
        if (closed) output.destroy(failure);
        else out = output;
      });
    },
    write(chunk) {
      if (done || !out) return true;
      if (firstByteAt === null) firstByteAt = options.now();
      const data = forwarded(chunk);
      return data.length === 0 || out.write(data);
    },
    end() {
      if (done || !out) return;
      if (kind === 'sse') {
        const rest = frames.rest() + decoder.end();
        // Without dropping, these bytes were already forwarded as they came; only read them.
        if (rest.length > 0 && inspectFrame(rest) && options.dropUsageChunk) {
          out.write(rest);
          bytes += Buffer.byteLength(rest);
        }
      }
      finish(true);
      out.end();
    },
    destroy(error) {
      if (closed) return;
      failure ??= error;
      if (out) out.destroy(error);
      else close();
    },
    once(event, listener) {
      if (event === 'drain') out?.once('drain', listener);
      else if (closed) listener();
      else closeListeners.push(listener);
      return undefined;
    },
  };
}

/**
 * Whether an event carries a usage object. OpenAI puts `"usage":null` in every chunk of a stream
 * that asked for usage and the numbers only in the last one: parsing only events whose usage is
 * an object keeps JSON.parse off all the others.
 */
export function carriesUsage(frame: string): boolean {
  for (let at = frame.indexOf('"usage"'); at !== -1; at = frame.indexOf('"usage"', at + 7)) {
    let i = at + 7;
    while (isJsonSpace(frame.charCodeAt(i))) i++;
    if (frame.charCodeAt(i) !== COLON) continue;
    i++;
    while (isJsonSpace(frame.charCodeAt(i))) i++;
    if (frame.charCodeAt(i) === OPEN_BRACE) return true;
  }
  return false;
}

const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const isJsonSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

/** Generated text fields of one event: OpenAI `content` / `delta`, Anthropic `text`. */
const TEXT_FIELD = /"(?:content|text|delta)":("(?:[^"\\]|\\.)*")/g;

function generatedText(frame: string): string {
  let text = '';
  TEXT_FIELD.lastIndex = 0;
  for (let match = TEXT_FIELD.exec(frame); match !== null; match = TEXT_FIELD.exec(frame)) {
    const quoted = match[1] ?? '""';
    // Most pieces of text have no escapes: take them as they are instead of parsing them.
    if (!quoted.includes('\\')) {
      text += quoted.slice(1, -1);
      continue;
    }
    try {
      text += JSON.parse(quoted) as string;
    } catch {
      // A truncated escape: skip it, the rest still counts.
    }
  }
  return text;
}
