import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameData, SseFrames } from './sse-frames.js';

const EVENTS = [
  'event: message_start\ndata: {"a":1}\n\n',
  ': keep-alive comment\n\n',
  'data: {"b":"two"}\n\n',
  'data: [DONE]\n\n',
];

describe('SseFrames', () => {
  it('returns each whole event with its own bytes, blank line included', () => {
    const frames = new SseFrames();
    expect(frames.push(EVENTS.join(''))).toEqual(EVENTS);
    expect(frames.rest()).toBe('');
  });

  it('holds a partial event until its blank line arrives', () => {
    const frames = new SseFrames();
    expect(frames.push('data: {"a"')).toEqual([]);
    expect(frames.push(':1}\n')).toEqual([]);
    expect(frames.push('\ndata: x')).toEqual(['data: {"a":1}\n\n']);
    expect(frames.rest()).toBe('data: x');
    expect(frames.rest()).toBe('');
  });

  it('splits CRLF-delimited events, even when the delimiter is cut', () => {
    const frames = new SseFrames();
    expect(frames.push('data: one\r\n\r')).toEqual([]);
    expect(frames.push('\ndata: two\r\n\r\n')).toEqual(['data: one\r\n\r\n', 'data: two\r\n\r\n']);
  });

  it('finds the same events however the text is cut', () => {
    const text = EVENTS.join('');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 20 }), (cuts) => {
        const frames = new SseFrames();
        const found: string[] = [];
        let at = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), text.length]) {
          found.push(...frames.push(text.slice(at, cut)));
          at = cut;
        }
        expect(found).toEqual(EVENTS);
        expect(frames.rest()).toBe('');
      }),
    );
  });
});

describe('frameData', () => {
  it('reads the data field, with or without a space after the colon', () => {
    expect(frameData('event: x\ndata: {"a":1}\n\n')).toBe('{"a":1}');
    expect(frameData('data:{"a":1}\r\n\r\n')).toBe('{"a":1}');
    expect(frameData('data:  two spaces\n\n')).toBe(' two spaces');
  });

  it('joins multi-line data with newlines', () => {
    expect(frameData('data: {"a":\ndata: 1}\n\n')).toBe('{"a":\n1}');
  });

  it('is undefined for an event without data', () => {
    expect(frameData(': comment\n\n')).toBeUndefined();
    expect(frameData('event: ping\n\n')).toBeUndefined();
  });
});
