import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, errors } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelSignal } from '../../lib/cancel-signal.js';
import { UpstreamExchange } from './upstream-exchange.js';

const BIG = Buffer.alloc(2 * 1024 * 1024, 'abcdefgh');

describe('UpstreamExchange', () => {
  let server: Server;
  let origin: string;
  let agent: Agent;
  const hanging = new Set<ServerResponse>();
  let closedEarly = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/small') {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('X-Mixed-Case', 'yes');
        res.end('{"ok":true}');
      } else if (req.url === '/big') {
        res.end(BIG);
      } else {
        // Headers now, the body never: a reader must be able to give up on it.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        hanging.add(res);
        res.on('close', () => {
          if (!res.writableFinished) closedEarly++;
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = new Agent();
  });

  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (path: string, signal = new CancelSignal()) => {
    const exchange = new UpstreamExchange(signal);
    agent.dispatch({ origin, path, method: 'GET', headers: {}, body: null }, exchange);
    return exchange.answered;
  };

  it('keeps a body that arrived before it was read, and parses headers as Node does', async () => {
    const answer = await send('/small');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answer.status).toBe(200);
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.headers['x-mixed-case']).toBe('yes');
    expect((await answer.body.whole()).toString()).toBe('{"ok":true}');
  });

  it('tells a close listener added after a small answer was complete at once', async () => {
    const answer = await send('/small');
    await answer.body.whole();
    // Whoever holds something until the answer closes (an open-stream hold) must get it back.
    let told = false;
    answer.body.once('close', () => {
      told = true;
    });
    expect(told).toBe(true);
  });

  it('delivers a large body intact to a slow sink, pausing the upstream meanwhile', async () => {
    const answer = await send('/big');
    const received: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk, _encoding, callback) {
        received.push(chunk);
        setImmediate(callback);
      },
    });
    const finished = new Promise((resolve) => slow.on('finish', resolve));
    answer.body.pipeTo(slow);
    await finished;
    expect(Buffer.concat(received).equals(BIG)).toBe(true);
  });

  it('collects an answer larger than what may wait for a reader when it is read whole', async () => {
    const answer = await send('/big');
    expect((await answer.body.whole()).equals(BIG)).toBe(true);
  });

  it('gives a reader the reason it was destroyed with, and closes the upstream connection', async () => {
    const answer = await send('/hang');
    const whole = answer.body.whole();
    const reason = new Error('the key was revoked');
    answer.body.destroy(reason);
    await expect(whole).rejects.toBe(reason);
    await expect.poll(() => closedEarly).toBeGreaterThan(0);
  });

  it('abandons the request when its client goes away, before or after the headers', async () => {
    const before = new CancelSignal();
    const pending = send('/hang', before);
    before.abort();
    await expect(pending).rejects.toBeInstanceOf(errors.RequestAbortedError);

    const after = new CancelSignal();
    const answer = await send('/hang', after);
    const sink = answer.body.stream();
    const ended = new Promise<unknown>((resolve) => sink.on('error', resolve));
    after.abort();
    expect(await ended).toBeInstanceOf(errors.RequestAbortedError);
  });
});
