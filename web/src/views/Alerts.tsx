import { useState } from 'react';
import { type Alert, api } from '../api';
import { Empty, ErrorLine, Panel, Status } from '../components';
import { dateTime } from '../format';
import { useLoad } from '../hooks';

export function Alerts({ canWrite }: { canWrite: boolean }) {
  const [status, setStatus] = useState<'open' | 'all'>('open');
  const [error, setError] = useState<string>();
  const {
    data,
    error: loadError,
    reload,
  } = useLoad(() => api.get<{ data: Alert[] }>('/alerts', { status, limit: 200 }), [status]);
  const ack = async (id: string) => {
    try {
      await api.post(`/alerts/${id}/ack`);
      reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  if (loadError) return <ErrorLine error={loadError} />;
  return (
    <>
      <h1>Alerts</h1>
      <ErrorLine error={error} />
      <Panel
        title={status === 'open' ? 'Open alerts' : 'All alerts'}
        actions={
          <select
            value={status}
            onChange={(e) => setStatus(e.target.value as 'open' | 'all')}
            aria-label="Which alerts"
          >
            <option value="open">open</option>
            <option value="all">all</option>
          </select>
        }
      >
        {!data ? (
          <p className="muted">Loading…</p>
        ) : data.data.length === 0 ? (
          <Empty title={status === 'open' ? 'No open alerts.' : 'No alerts yet.'}>
            keywarden raises alerts for unusual spend or traffic, new networks or models, bursts of bad keys,
            failing credentials and keys about to expire. Send them to Slack or any webhook with{' '}
            <code>alerts.webhooks</code> in keywarden.yaml.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Severity</th>
                <th>Type</th>
                <th>Key</th>
                <th>Message</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.data.map((a) => (
                <tr key={a.id}>
                  <td>{dateTime(a.created_at)}</td>
                  <td>
                    <span className={`sev sev-${a.severity}`}>{a.severity}</span>
                  </td>
                  <td>{a.type.replace(/_/g, ' ')}</td>
                  <td>{a.key_id ? <a href={`#/keys/${a.key_id}`}>{a.key_name ?? a.key_id}</a> : '—'}</td>
                  <td className="message">{a.message}</td>
                  <td>
                    <Status value={a.status} />
                  </td>
                  <td>
                    {canWrite && a.status === 'open' && (
                      <button type="button" onClick={() => void ack(a.id)}>
                        Acknowledge
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
