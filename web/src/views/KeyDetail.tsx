import { useState } from 'react';
import { api, type Key, type UsageAnswer, type UsageEventRow } from '../api';
import { Card, Empty, ErrorLine, Meter, Panel, Status, TimeChart } from '../components';
import { ago, count, dateTime, periodStart, plural, usd } from '../format';
import { useLoad } from '../hooks';
import { usageSeries } from '../series';

export function KeyDetail({ id, canRotate }: { id: string; canRotate: boolean }) {
  const [error, setError] = useState<string>();
  const [rotated, setRotated] = useState<string>();
  const {
    data,
    error: loadError,
    reload,
  } = useLoad(async () => {
    const key = await api.get<Key>(`/keys/${encodeURIComponent(id)}`);
    const budgets = key.limits.budgets ?? [];
    const [series, events, total, spent] = await Promise.all([
      usageSeries('24h', { key: key.id }),
      api.get<{ data: UsageEventRow[] }>('/usage/events', { key: key.id, limit: 20 }),
      api.get<UsageAnswer>('/usage', { key: key.id }),
      Promise.all(
        budgets.map((b) => api.get<UsageAnswer>('/usage', { key: key.id, from: periodStart(b.period) })),
      ),
    ]);
    return {
      key,
      series,
      events: events.data,
      total: total.totals,
      spent: spent.map((s) => s.totals.cost_usd ?? 0),
    };
  }, [id]);

  if (loadError) return <ErrorLine error={loadError} />;
  if (!data) return <p className="muted">Loading…</p>;
  const { key } = data;

  const act = async (action: string) => {
    if (action === 'revoke' && !window.confirm(`Revoke ${key.name}? Apps using it stop working at once.`))
      return;
    setError(undefined);
    try {
      if (action === 'rotate') {
        const answer = await api.post<{ key: string }>(`/keys/${key.id}/rotate`, {});
        setRotated(answer.key);
      } else {
        await api.post(`/keys/${key.id}/${action}`);
      }
      reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const requests24h = data.series.requests.reduce((sum, p) => sum + p.value, 0);
  const live = key.status !== 'revoked';

  return (
    <>
      <p className="crumbs">
        <a href="#/keys">Keys</a> / {key.name}
      </p>
      <div className="title-row">
        <h1>
          {key.name} <Status value={key.status} />
        </h1>
        <div className="row">
          {canRotate && live && (
            <button type="button" onClick={() => void act('rotate')}>
              Rotate
            </button>
          )}
          {key.status === 'active' && (
            <button type="button" onClick={() => void act('suspend')}>
              Suspend
            </button>
          )}
          {key.status === 'suspended' && (
            <button type="button" onClick={() => void act('resume')}>
              Resume
            </button>
          )}
          {live && (
            <button type="button" className="danger" onClick={() => void act('revoke')}>
              Revoke
            </button>
          )}
        </div>
      </div>
      <ErrorLine error={error} />
      {rotated && (
        <div className="secret" role="status">
          <strong>New secret: copy it now, it is shown only this once.</strong>
          <code>{rotated}</code>
        </div>
      )}
      <div className="cards">
        <Card label="Prefix" value={<code>{key.prefix}…</code>} sub={`project ${key.project}`} />
        <Card
          label="Age"
          value={ago(key.created_at).replace(' ago', '')}
          sub={`created ${dateTime(key.created_at)}`}
        />
        <Card label="Last used" value={ago(key.last_used_at)} />
        <Card label="Expires" value={key.expires_at ? dateTime(key.expires_at) : 'never'} />
        <Card
          label="All-time"
          value={usd(data.total.cost_usd)}
          sub={plural(data.total.requests, 'request')}
        />
      </div>
      <div className="grid-2">
        <Panel
          title="Requests, last 24 hours"
          actions={
            <span className="muted" data-testid="key-requests-24h">
              {plural(requests24h, 'request')}
            </span>
          }
        >
          <TimeChart points={data.series.requests} unit="requests" testId="key-requests-chart" />
        </Panel>
        <Panel title="Limits">
          <dl className="facts">
            <dt>Requests / min</dt>
            <dd>{key.limits.rpm ?? 'no limit'}</dd>
            <dt>Tokens / min</dt>
            <dd>{key.limits.tpm ?? 'no limit'}</dd>
            <dt>Concurrency</dt>
            <dd>{key.limits.concurrency ?? 'no limit'}</dd>
            <dt>Providers</dt>
            <dd>{key.scopes.providers?.join(', ') ?? 'any'}</dd>
            <dt>Models</dt>
            <dd>{key.scopes.models?.join(', ') ?? 'any'}</dd>
            <dt>Endpoints</dt>
            <dd>{key.scopes.endpoints?.join(', ') ?? 'any'}</dd>
          </dl>
          {(key.limits.budgets ?? []).map((b, i) => (
            <Meter
              key={`${b.period}-${b.usd}`}
              used={data.spent[i] ?? 0}
              limit={b.usd}
              label={`${usd(data.spent[i] ?? 0)} of ${usd(b.usd)} per ${b.period}${b.soft ? ' (soft)' : ''}`}
            />
          ))}
          {(key.limits.budgets ?? []).length === 0 && (
            <p className="muted small">No budget: this key can spend without a cap.</p>
          )}
        </Panel>
      </div>
      <Panel title="Recent requests">
        {data.events.length === 0 ? (
          <Empty title="This key has not been used yet.">
            Point an OpenAI SDK at <code>{window.location.origin}/v1</code> with this key as its API key.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Model</th>
                <th>Endpoint</th>
                <th>Status</th>
                <th className="num">Tokens in / out</th>
                <th className="num">Cost</th>
                <th className="num">Latency</th>
                <th>Client</th>
              </tr>
            </thead>
            <tbody>
              {data.events.map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.at)}</td>
                  <td>{e.model ?? '—'}</td>
                  <td>{e.endpoint}</td>
                  <td>
                    <span className={e.status >= 400 ? 'bad' : ''}>{e.status}</span>
                  </td>
                  <td className="num">
                    {count(e.input_tokens)} / {count(e.output_tokens)}
                  </td>
                  <td className="num">{usd(e.cost_usd)}</td>
                  <td className="num">{e.latency_ms} ms</td>
                  <td>{e.client_ip}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
