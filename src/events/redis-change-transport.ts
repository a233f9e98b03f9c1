import { Redis } from 'ioredis';
import type { ChangeTransport } from './change-relay.js';

/** Changes over Redis pub/sub. The subscriber reconnects and resubscribes by itself. */
export function redisChangeTransport(url: string, channel: string): ChangeTransport {
  const options = { lazyConnect: true, retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000) };
  const publisher = new Redis(url, { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(url, options);
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);

  return {
    async send(message) {
      if (publisher.status === 'wait') await publisher.connect();
      await publisher.publish(channel, message);
    },
    async listen(onMessage, onGap) {
      let connectedBefore = false;
      subscriber.on('ready', () => {
        if (connectedBefore) onGap();
        connectedBefore = true;
      });
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      await Promise.all([subscriber.connect(), publisher.connect()]);
      await subscriber.subscribe(channel);
    },
    async close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
