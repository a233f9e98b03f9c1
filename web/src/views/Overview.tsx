import type { ReactNode } from 'react';
import { type Alert, type Amounts, api, type Project, type Provider, type UsageAnswer } from '../api';
import { Card, Empty, ErrorLine, Meter, Panel, TimeChart } from '../components';
import { count, percent, periodStart, usd } from '../format';
import { useLoad } from '../hooks';
import { usageSeries } from '../series';

export function Overview() {
  const { data, error } = useLoad(async () => {
    const today = periodStart('day');
    const month = periodStart('month');
    const [providers, projects, keys, todayUsage, monthUsage, topKeys, topModels, alerts, hours, days] =
      await Promise.all([
        api.get<{ data: Provider[] }>('/providers'),
        api.get<{ data: Project[] }>('/projects'),
        api.get<{ data: unknown[] }>('/keys'),
        api.get<UsageAnswer>('/usage', { from: today }),
        api.get<UsageAnswer>('/usage', { from: month, group_by: 'project' }),
        api.get<UsageAnswer<'key'>>('/usage', { from: month, group_by: 'key' }),
        api.get<UsageAnswer<'model'>>('/usage', { from: month, group_by: 'model' }),
        api.get<{ data: Alert[] }>('/alerts', { status: 'open', limit: 5 }),
        usageSeries('24h'),
        usageSeries('30d'),
      ]);
    return { providers, projects, keys, todayUsage, monthUsage, topKeys, topModels, alerts, hours, days };
  }, []);

  if (error) return <ErrorLine error={error} />;
  if (!data) return <p className="muted">Loading…</p>;

  const monthlyBudget = data.projects.data
    .flatMap((p) => p.limits.budgets ?? [])
    .filter((b) => b.period === 'month')
    .reduce((sum, b) => sum + b.usd, 0);
  const dailyBudget = data.projects.data
    .flatMap((p) => p.limits.budgets ?? [])
    .filter((b) => b.period === 'day')
    .reduce((sum, b) => sum + b.usd, 0);
  const today = data.todayUsage.totals;
  const month = data.monthUsage.totals;
  const topKeys = [...data.topKeys.data].sort((a, b) => (b.cost_usd ?? 0) - (a.cost_usd ?? 0)).slice(0, 5);
  const topModels = [...data.topModels.data].sort((a, b) => b.requests - a.requests).slice(0, 5);

  return (
    <>
      <h1>Overview</h1>
      {data.providers.data.length === 0 && (
        <Empty title="Welcome to keywarden. Start by adding a provider.">
          keywarden holds your real provider keys. Add one with{' '}
          <code>keywarden providers add --name openai --type openai --api-key-env OPENAI_API_KEY</code>, then
          create a project and a key on the <a href="#/keys">Keys</a> page.
        </Empty>
      )}
      {data.providers.data.length > 0 && data.keys.data.length === 0 && (
        <Empty title="No keys yet.">
          Create a project, then <a href="#/keys">create a key</a> and give it to your app instead of the
          provider key.
        </Empty>
      )}
      <div className="cards">
        <Card
          label="Spend today"
          value={usd(today.cost_usd)}
          sub={
            dailyBudget > 0 ? (
              <Meter
                used={today.cost_usd ?? 0}
                limit={dailyBudget}
                label={`of ${usd(dailyBudget)} daily budgets`}
              />
            ) : (
              'no daily budgets set'
            )
          }
        />
        <Card
          label="Spend this month"
          value={usd(month.cost_usd)}
          sub={
            monthlyBudget > 0 ? (
              <Meter
                used={month.cost_usd ?? 0}
                limit={monthlyBudget}
                label={`of ${usd(monthlyBudget)} monthly budgets`}
              />
            ) : (
              'no monthly budgets set'
            )
          }
        />
        <Card
          label="Requests today"
          value={count(today.requests)}
          sub={`${count(month.requests)} this month`}
        />
        <Card
          label="Error rate today"
          value={percent(today.errors, today.requests)}
          sub={`${count(today.errors)} failed`}
          {...(today.requests > 0 && today.errors / today.requests > 0.05 ? { tone: 'bad' as const } : {})}
        />
        <Card
          label="Open alerts"
          value={
            <a href="#/alerts">
              {count(data.alerts.data.length)}
              {data.alerts.data.length === 5 ? '+' : ''}
            </a>
          }
          {...(data.alerts.data.length > 0 ? { tone: 'bad' as const } : {})}
        />
      </div>
      <div className="grid-2">
        <Panel title="Requests, last 24 hours">
          <TimeChart points={data.hours.requests} unit="requests" />
        </Panel>
        <Panel title="Spend per day, last 30 days">
          <TimeChart points={data.days.cost} unit="usd" color="#0f766e" />
        </Panel>
      </div>
      <div className="grid-3">
        <Panel title="Top keys this month">
          <TopTable
            label="Key"
            rows={topKeys.map((row) => ({
              id: String(row.key),
              name: <a href={`#/keys/${row.key}`}>{String(row.key_name ?? row.key)}</a>,
              ...row,
            }))}
          />
        </Panel>
        <Panel title="Top models this month">
          <TopTable
            label="Model"
            rows={topModels.map((row) => ({ id: String(row.model), name: row.model ?? '(none)', ...row }))}
          />
        </Panel>
        <Panel title="Open alerts" actions={<a href="#/alerts">All alerts →</a>}>
          {data.alerts.data.length === 0 ? (
            <Empty title="Nothing needs your attention." />
          ) : (
            <ul className="alert-list">
              {data.alerts.data.map((a) => (
                <li key={a.id} className={`sev-${a.severity}`}>
                  <span className="alert-type">{a.type.replace(/_/g, ' ')}</span> {a.message}
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>
    </>
  );
}

function TopTable({
  label,
  rows,
}: {
  label: string;
  rows: Array<Amounts & { id: string; name: ReactNode }>;
}) {
  if (rows.length === 0) return <Empty title="No traffic this month yet." />;
  return (
    <table>
      <thead>
        <tr>
          <th>{label}</th>
          <th className="num">Requests</th>
          <th className="num">Spend</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id}>
            <td>{row.name}</td>
            <td className="num">{count(row.requests)}</td>
            <td className="num">{usd(row.cost_usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
