import { EventEmitter } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { type Dispatcher, errors } from 'undici';
import type { CancelSignal } from '../../lib/cancel-signal.js';
import { headerName } from './header-names.js';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Where a streamed body goes: the usage tap, or any other writable stream. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(error?: Error): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * An upstream answer's body, taken one of three ways: whole (small JSON answers), piped into a sink
 * (streams), or discarded (an answer failover will not pass on). Emits `close` once when it has
 * ended, failed or been destroyed.
 */
export interface UpstreamBody {
  whole(): Promise<Buffer>;
  pipeTo(sink: BodySink): void;
  /** The body as a Readable, for the few readers that want one. */
  stream(): Readable;
  discard(): void;
  /** Abandons the answer (the upstream connection is closed); readers get `reason`. */
  destroy(reason?: Error): void;
  /** Runs `listener` when the body closes; at once if it already has. */
  once(event: 'close', listener: () => void): unknown;
}

/** Chunks that may wait for a reader before the upstream is paused. */
const MAX_WAITING_BYTES = 64 * 1024;

/**
 * One request on undici's dispatcher, handled directly: no response stream object, no promise per
 * chunk, headers parsed once. A body that arrives before anyone reads it (a small answer often
 * comes in the same packet as its headers) waits in memory, up to a bound before the upstream is
 * paused.
 */
export class UpstreamExchange extends EventEmitter implements Dispatcher.DispatchHandler, UpstreamBody {
  readonly answered: Promise<{ status: number; headers: ResponseHeaders; body: UpstreamBody }>;
  #answer!: (value: { status: number; headers: ResponseHeaders; body: UpstreamBody }) => void;
  #fail!: (error: unknown) => void;
  #abort: ((reason?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #abortedEarly: Error | undefined;
  #headersSeen = false;
  #waiting: Buffer[] = [];
  #waitingBytes = 0;
  #ended = false;
  #error: Error | undefined;
  #closed = false;
  #sink: BodySink | undefined;
  #discarding = false;
  #whole: { resolve: (body: Buffer) => void; reject: (error: Error) => void } | undefined;
  readonly #onCancel = () => this.#cancel();

  constructor(private readonly signal: CancelSignal) {
    super();
    this.answered = new Promise((resolve, reject) => {
      this.#answer = resolve;
      this.#fail = reject;
    });
    if (signal.aborted) this.#abortedEarly = new errors.RequestAbortedError();
    else signal.once('abort', this.#onCancel);
  }

  // --- undici's handler callbacks ---

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#abortedEarly) abort(this.#abortedEarly);
    else this.#abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (status < 200) return true;
    this.#headersSeen = true;
    this.#resume = resume;
    this.#answer({ status, headers: parseHeaders(rawHeaders), body: this });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#sink) {
      if (this.#sink.write(chunk)) return true;
      this.#sink.once('drain', this.#resumeUpstream);
      return false;
    }
    if (this.#discarding) return true;
    this.#waiting.push(chunk);
    this.#waitingBytes += chunk.length;
    // The bound is for chunks nobody has asked for yet; a whole() reader takes them all.
    return this.#whole !== undefined || this.#waitingBytes < MAX_WAITING_BYTES;
  }

  onComplete(): void {
    this.#ended = true;
    if (this.#sink) this.#sink.end();
    else if (this.#whole) this.#whole.resolve(this.#takeWaiting());
    this.#close();
  }

  onError(error: Error): void {
    if (!this.#headersSeen) {
      this.#headersSeen = true;
      this.#fail(error);
      this.#close();
      return;
    }
    this.#failBody(this.#error ?? error);
  }

  // --- the body, for its reader ---

  whole(): Promise<Buffer> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(this.#takeWaiting());
    return new Promise((resolve, reject) => {
      this.#whole = { resolve, reject };
      this.#resumeUpstream();
    });
  }

  pipeTo(sink: BodySink): void {
    for (const chunk of this.#waiting) sink.write(chunk);
    this.#waiting = [];
    if (this.#error) sink.destroy(this.#error);
    else if (this.#ended) sink.end();
    else {
      this.#sink = sink;
      // A reader that goes away takes the upstream answer with it.
      sink.once('close', () => {
        if (!this.#ended) this.destroy();
      });
      this.#resumeUpstream();
    }
  }

  stream(): Readable {
    const out = new PassThrough();
    this.pipeTo(out);
    return out;
  }

  discard(): void {
    this.#discarding = true;
    this.#waiting = [];
    this.#resumeUpstream();
  }

  destroy(reason: Error = new errors.RequestAbortedError()): void {
    if (this.#closed) return;
    this.#failBody(reason);
    this.#abort?.(reason);
  }

  /**
   * A small answer is often complete before anyone asks to hear of its end: a `close` listener added
   * after that runs at once, so whoever holds a resource until then (an open-stream hold) lets it go.
   */
  override once(event: string | symbol, listener: (...args: unknown[]) => void): this {
    if (event === 'close' && this.#closed) {
      listener();
      return this;
    }
    return super.once(event, listener);
  }

  // --- internals ---

  readonly #resumeUpstream = () => this.#resume?.();

  #cancel(): void {
    if (!this.#headersSeen) {
      const reason = new errors.RequestAbortedError();
      if (this.#abort) this.#abort(reason);
      else this.#abortedEarly = reason;
      return;
    }
    this.destroy();
  }

  #failBody(error: Error): void {
    if (this.#closed) return;
    this.#error = error;
    this.#waiting = [];
    if (this.#sink) this.#sink.destroy(error);
    else if (this.#whole) this.#whole.reject(error);
    this.#close();
  }

  #takeWaiting(): Buffer {
    const chunks = this.#waiting;
    this.#waiting = [];
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.#waitingBytes);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.signal.removeListener('abort', this.#onCancel);
    this.emit('close');
  }
}

/** undici's raw header list as Node's incoming headers: lower-case names, repeated ones as arrays. */
function parseHeaders(raw: Buffer[]): ResponseHeaders {
  const headers: ResponseHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = headerName(raw[i] as Buffer);
    const value = (raw[i + 1] as Buffer).toString('latin1');
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return headers;
}
