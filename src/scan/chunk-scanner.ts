import type { Matcher, RawMatch } from './matcher.js';

/** A match placed in its source: 1-based line and column (in bytes), and whether the line allows it. */
export interface LocatedMatch extends RawMatch {
  line: number;
  column: number;
  /** The line carries an inline `keywarden:allow` comment. */
  inlineAllowed: boolean;
}

/** Longer than any match a rule can make (keys are at most a few hundred characters). */
const CHUNK_OVERLAP = 2048;
const BINARY_SNIFF_BYTES = 8000;
export const INLINE_ALLOW = 'keywarden:allow';

/**
 * Scans one source (a file, a blob, stdin) fed in pieces of any size, so large inputs stream
 * through in bounded memory. Each window is the previous window's tail plus the new piece; a
 * match is reported from the window where it starts before the tail, so none is cut in two or
 * reported twice. Text is decoded as latin1: byte offsets stay char offsets, and keys are ASCII.
 */
export class ChunkScanner {
  private tail = '';
  private tailStart = 0;
  /** Absolute offset up to which matches were reported. */
  private reportedUpTo = 0;
  private countedPos = 0;
  private countedLines = 0;
  private lastNewline = -1;
  private sniffed = false;
  binary = false;

  constructor(
    private readonly matcher: Matcher,
    private readonly onMatch: (match: LocatedMatch) => void,
  ) {}

  /** Feeds the next piece; returns false once the source is known to be binary (stop feeding). */
  push(piece: Buffer): boolean {
    if (this.binary) return false;
    if (!this.sniffed) {
      this.sniffed = true;
      if (piece.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
        this.binary = true;
        return false;
      }
    }
    const window = this.tail + piece.toString('latin1');
    const windowStart = this.tailStart;
    const until = window.length - CHUNK_OVERLAP;
    if (until > 0) {
      this.scanWindow(window, windowStart, until);
      const keepFrom = Math.max(0, window.length - CHUNK_OVERLAP);
      this.tail = window.slice(keepFrom);
      this.tailStart = windowStart + keepFrom;
    } else {
      this.tail = window;
    }
    return true;
  }

  /** Scans what is left; call once after the last piece. */
  end(): void {
    if (this.binary || this.tail === '') return;
    this.scanWindow(this.tail, this.tailStart, this.tail.length);
    this.tail = '';
  }

  private scanWindow(window: string, windowStart: number, until: number): void {
    const from = Math.max(0, this.reportedUpTo - windowStart);
    this.matcher.scan(
      window,
      (match) => {
        this.advanceTo(window, windowStart, match.start);
        this.onMatch({
          ...match,
          line: this.countedLines + 1,
          column: match.start - this.lastNewline,
          inlineAllowed: lineOf(window, match.start - windowStart, match.end - windowStart).includes(
            INLINE_ALLOW,
          ),
        });
      },
      from,
      until,
      windowStart,
    );
    this.reportedUpTo = windowStart + until;
    this.advanceTo(window, windowStart, this.reportedUpTo);
  }

  /** Counts newlines between the last counted position and `absolute`. */
  private advanceTo(window: string, windowStart: number, absolute: number): void {
    if (absolute <= this.countedPos) return;
    const stop = absolute - windowStart;
    let at = window.indexOf('\n', this.countedPos - windowStart);
    while (at !== -1 && at < stop) {
      this.countedLines++;
      this.lastNewline = windowStart + at;
      at = window.indexOf('\n', at + 1);
    }
    this.countedPos = absolute;
  }
}

function lineOf(window: string, start: number, end: number): string {
  const lineStart = window.lastIndexOf('\n', start) + 1;
  const lineEnd = window.indexOf('\n', end);
  return window.slice(lineStart, lineEnd === -1 ? window.length : lineEnd);
}
