import { EventEmitter } from 'node:events';

/**
 * Emits 'abort' once, when the client went away, so the upstream request is abandoned too. An
 * EventEmitter rather than an AbortController: undici takes either, and building an AbortController
 * (an EventTarget with its listener bookkeeping) for every proxied request was ~2% of its CPU.
 */
export class CancelSignal extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** What abandons an upstream request: our CancelSignal, or any AbortSignal (tests, callers). */
export type RequestSignal = AbortSignal | CancelSignal;
