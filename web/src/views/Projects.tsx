import { type FormEvent, useState } from 'react';
import { api, type Project, type UsageAnswer } from '../api';
import { Empty, ErrorLine, Meter, Panel } from '../components';
import { count, periodStart, usd } from '../format';
import { useLoad } from '../hooks';

export function Projects() {
  const [name, setName] = useState('');
  const [budget, setBudget] = useState('');
  const [formError, setFormError] = useState<string>();
  const { data, error, reload } = useLoad(async () => {
    const projects = (await api.get<{ data: Project[] }>('/projects')).data;
    const spend = await Promise.all(
      projects.map(async (p) => {
        const periods = [...new Set((p.limits.budgets ?? []).map((b) => b.period))];
        const entries = await Promise.all(
          periods.map(
            async (period) =>
              [
                period,
                (await api.get<UsageAnswer>('/usage', { project: p.id, from: periodStart(period) })).totals,
              ] as const,
          ),
        );
        const month = await api.get<UsageAnswer>('/usage', { project: p.id, from: periodStart('month') });
        return { byPeriod: new Map(entries), month: month.totals };
      }),
    );
    return { projects, spend };
  }, []);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(undefined);
    try {
      await api.post('/projects', {
        name,
        ...(budget && { limits: { budgets: [{ usd: Number(budget), period: 'month' }] } }),
      });
      setName('');
      setBudget('');
      reload();
    } catch (e) {
      setFormError(e instanceof Error ? e.message : String(e));
    }
  };

  if (error) return <ErrorLine error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <>
      <h1>Projects and budgets</h1>
      <Panel title="New project">
        <form className="form-inline" onSubmit={create}>
          <label>
            Name
            <input
              name="project-name"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="web"
            />
          </label>
          <label>
            Monthly budget (USD, optional)
            <input
              name="project-budget"
              type="number"
              min="0.01"
              step="0.01"
              value={budget}
              onChange={(e) => setBudget(e.target.value)}
            />
          </label>
          <button type="submit" className="primary">
            Create project
          </button>
        </form>
        <ErrorLine error={formError} />
      </Panel>
      <Panel title="Projects">
        {data.projects.length === 0 ? (
          <Empty title="No projects yet.">
            A project is a team or an application. It owns keys and can have its own budgets. Create one
            above.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Requests this month</th>
                <th className="num">Spend this month</th>
                <th>Budgets</th>
              </tr>
            </thead>
            <tbody>
              {data.projects.map((p, i) => {
                const spend = data.spend[i];
                return (
                  <tr key={p.id}>
                    <td>
                      <a href={`#/keys?project=${encodeURIComponent(p.name)}`}>{p.name}</a>
                    </td>
                    <td className="num">{count(spend?.month.requests)}</td>
                    <td className="num">{usd(spend?.month.cost_usd)}</td>
                    <td className="budgets">
                      {(p.limits.budgets ?? []).length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        (p.limits.budgets ?? []).map((b) => {
                          const used = spend?.byPeriod.get(b.period)?.cost_usd ?? 0;
                          return (
                            <Meter
                              key={`${b.period}-${b.usd}`}
                              used={used}
                              limit={b.usd}
                              label={`${usd(used)} of ${usd(b.usd)} per ${b.period}`}
                            />
                          );
                        })
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
