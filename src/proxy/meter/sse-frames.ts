/**
 * Splits a server-sent-events byte stream into whole events. Written here rather than taken from
 * eventsource-parser because the gateway must forward each event's original bytes (and drop one
 * of them), while that parser only hands out decoded fields.
 */
export class SseFrames {
  private pending = '';

  /** Complete events (each ending in its blank line) found so far; the rest waits for more text. */
  push(text: string): string[] {
    this.pending += text;
    const frames: string[] = [];
    let start = 0;
    for (;;) {
      const lf = this.pending.indexOf('\n\n', start);
      const crlf = this.pending.indexOf('\r\n\r\n', start);
      if (lf === -1 && crlf === -1) break;
      const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf + 2;
      frames.push(this.pending.slice(start, end));
      start = end;
    }
    this.pending = this.pending.slice(start);
    return frames;
  }

  /** Whatever is left when the stream ends (an unterminated last event). */
  rest(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

/** The `data:` payload of one event (multi-line data joined with newlines), or undefined. */
export function frameData(frame: string): string | undefined {
  let data: string | undefined;
  for (const line of frame.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
