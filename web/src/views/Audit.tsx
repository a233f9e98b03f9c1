import { ApiError, api } from '../api';
import { Empty, ErrorLine, Panel } from '../components';
import { dateTime } from '../format';
import { useLoad } from '../hooks';

type Entry = Record<string, unknown>;

const text = (v: unknown) =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export function Audit() {
  const { data, error } = useLoad(async () => {
    try {
      return { entries: (await api.get<{ data: Entry[] }>('/audit', { limit: 100 })).data };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return { entries: undefined };
      throw e;
    }
  }, []);
  if (error) return <ErrorLine error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <>
      <h1>Audit log</h1>
      <Panel title="Recent administrative actions">
        {data.entries === undefined ? (
          <Empty title="This server has no audit log yet.">
            Upgrade keywarden to a version with the audit trail to see who changed what.
          </Empty>
        ) : data.entries.length === 0 ? (
          <Empty title="Nothing recorded yet.">
            Every change made through the API, the CLI or this dashboard appears here.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e, i) => (
                <tr key={text(e.id ?? i)}>
                  <td>{dateTime(text(e.at ?? e.ts ?? e.created_at))}</td>
                  <td>{text(e.actor ?? e.actor_name ?? e.actor_id)}</td>
                  <td>{text(e.action)}</td>
                  <td>{text(e.target ?? e.target_id)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
