import { api, type Provider, type UsageAnswer } from '../api';
import { Empty, ErrorLine, Panel, Status } from '../components';
import { percent, plural } from '../format';
import { useLoad } from '../hooks';

export function Providers() {
  const { data, error } = useLoad(async () => {
    const [providers, usage] = await Promise.all([
      api.get<{ data: Provider[] }>('/providers'),
      api.get<UsageAnswer<'provider'>>('/usage', {
        from: new Date(Date.now() - 86_400_000).toISOString(),
        group_by: 'provider',
      }),
    ]);
    return { providers: providers.data, usage: new Map(usage.data.map((r) => [r.provider, r])) };
  }, []);
  if (error) return <ErrorLine error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <>
      <h1>Providers and credentials</h1>
      {data.providers.length === 0 ? (
        <Empty title="No providers yet.">
          A provider is an upstream AI API with its real key. Add one from a shell:{' '}
          <code>keywarden providers add --name openai --type openai --api-key-env OPENAI_API_KEY</code>
        </Empty>
      ) : (
        data.providers.map((p) => {
          const usage = data.usage.get(p.name);
          const errorRate = usage ? usage.errors / Math.max(usage.requests, 1) : 0;
          const health = !usage
            ? 'idle'
            : errorRate > 0.2
              ? 'failing'
              : errorRate > 0.05
                ? 'degraded'
                : 'healthy';
          return (
            <Panel key={p.id} title={p.name} actions={<Status value={health} />}>
              <dl className="facts">
                <dt>Type</dt>
                <dd>{p.type}</dd>
                <dt>Base URL</dt>
                <dd>
                  <code>{p.base_url}</code>
                </dd>
                <dt>Last 24 hours</dt>
                <dd>
                  {usage
                    ? `${plural(usage.requests, 'request')}, ${percent(usage.errors, usage.requests)} errors`
                    : 'no traffic'}
                </dd>
              </dl>
              {p.credentials.length === 0 ? (
                <p className="muted small">Keyless (a local model server).</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Credential</th>
                      <th>Source</th>
                      <th>Status</th>
                      <th>Added</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.credentials.map((c) => (
                      <tr key={c.id}>
                        <td>
                          <code>{c.fingerprint}</code>
                        </td>
                        <td>{c.source}</td>
                        <td>
                          <Status value={c.status} />
                        </td>
                        <td>{new Date(c.created_at).toLocaleDateString('en-GB')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Panel>
          );
        })
      )}
    </>
  );
}
