import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ProxyReply, StreamedBody } from '../pipeline.js';
import { durableReply } from './durable-reply.js';

/** A streamed body that writes `chunks` and ends, as the usage tap does. */
function streamed(chunks: string[]): StreamedBody {
  return {
    deliverTo(out) {
      return new Promise((resolve) => {
        out.once('close', () => resolve(undefined));
        for (const chunk of chunks) out.write(chunk);
        out.end();
      });
    },
  };
}

/** A client response stand-in that keeps what it is sent, as text. */
function clientOutput() {
  const received: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk.toString());
      callback();
    },
  });
  return { out, received };
}

describe('durable reply', () => {
  it("holds a stream's last chunk back until its usage is persisted", async () => {
    let persist: (() => void) | undefined;
    const persisted = () =>
      new Promise<void>((resolve) => {
        persist = resolve;
      });
    const reply: ProxyReply = { kind: 'stream', status: 200, headers: {}, body: streamed(['a', 'b', 'c']) };
    const durable = await durableReply(reply, persisted);
    if (durable.kind !== 'stream') throw new Error('expected a stream');
    const { out, received } = clientOutput();
    const delivered = durable.body.deliverTo(out);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual(['a', 'b']);
    expect(out.writableEnded).toBe(false);
    persist?.();
    expect(await delivered).toBeUndefined();
    expect(received).toEqual(['a', 'b', 'c']);
  });

  it('sends the last chunk anyway when persisting fails', async () => {
    const reply: ProxyReply = { kind: 'stream', status: 200, headers: {}, body: streamed(['a', 'b']) };
    const durable = await durableReply(reply, () => Promise.reject(new Error('store down')));
    if (durable.kind !== 'stream') throw new Error('expected a stream');
    const { out, received } = clientOutput();
    expect(await durable.body.deliverTo(out)).toBeUndefined();
    expect(received).toEqual(['a', 'b']);
  });

  it('answers a buffered reply only once its usage is persisted', async () => {
    let persisted = false;
    const reply: ProxyReply = { kind: 'buffer', status: 200, headers: {}, body: Buffer.from('{}') };
    const durable = await durableReply(reply, async () => {
      persisted = true;
    });
    expect(persisted).toBe(true);
    expect(durable).toBe(reply);
  });
});
