import pg from 'pg';
import type { ChangeTransport } from './change-relay.js';

/** Changes over Postgres LISTEN/NOTIFY, for deployments without Redis. The listener reconnects itself. */
export function postgresChangeTransport(url: string, channel: string): ChangeTransport {
  const notifier = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 2_000 });
  notifier.on('error', () => undefined);
  let listener: pg.Client | undefined;
  let closed = false;
  const quoted = `"${channel.replaceAll('"', '""')}"`;

  const connect = async (onMessage: (message: string) => void, onGap: () => void, again: boolean) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    const retry = () => {
      if (listener !== client || closed) return;
      listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => void connect(onMessage, onGap, true).catch(() => undefined), 500).unref();
    };
    listener = client;
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) onMessage(n.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${quoted}`);
    } catch (error) {
      if (!again) {
        listener = undefined;
        await client.end().catch(() => undefined);
        throw error;
      }
      retry();
      return;
    }
    if (again) onGap();
  };

  return {
    async send(message) {
      await notifier.query('select pg_notify($1, $2)', [channel, message]);
    },
    listen: (onMessage, onGap) => connect(onMessage, onGap, false),
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await notifier.end();
    },
  };
}
