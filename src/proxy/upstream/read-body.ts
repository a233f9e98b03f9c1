import type { Readable } from 'node:stream';

/**
 * The whole of a response body, or a rejection when it fails or is destroyed before its end (the
 * upstream cut it, the client went away, or the key was revoked). Listens to events directly: an
 * async iterator costs a promise per chunk.
 */
export function readBody(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    body.once('error', reject);
    // 'close' follows every 'end' too: only without one was the body destroyed before its end.
    body.once('close', () => {
      if (!ended) reject(new Error('the body ended before it was complete'));
    });
  });
}
