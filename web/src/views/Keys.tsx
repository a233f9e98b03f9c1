import { type FormEvent, useState } from 'react';
import { api, type Key, type Project, type Provider } from '../api';
import { Empty, ErrorLine, Panel, Status } from '../components';
import { ago, dateTime } from '../format';
import { useLoad } from '../hooks';

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function CreateKey({
  projects,
  providers,
  onCreated,
}: {
  projects: Project[];
  providers: Provider[];
  onCreated: () => void;
}) {
  const [form, setForm] = useState({
    name: '',
    project: projects[0]?.name ?? '',
    provider: providers[0]?.name ?? '',
    models: '',
    endpoints: '',
    rpm: '',
    budget: '',
    ttlHours: '',
  });
  const [error, setError] = useState<string>();
  const [secret, setSecret] = useState<{ name: string; key: string }>();
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const scopes: Record<string, string[]> = {};
    if (form.provider) scopes.providers = [form.provider];
    if (form.models) scopes.models = list(form.models);
    if (form.endpoints) scopes.endpoints = list(form.endpoints);
    const limits: Record<string, unknown> = {};
    if (form.rpm) limits.rpm = Number(form.rpm);
    if (form.budget) limits.budgets = [{ usd: Number(form.budget), period: 'day' }];
    try {
      const created = await api.post<Key & { key: string }>('/keys', {
        name: form.name,
        project: form.project,
        ...(form.provider && { default_provider: form.provider }),
        scopes,
        limits,
        ...(form.ttlHours && {
          expires_at: new Date(Date.now() + Number(form.ttlHours) * 3_600_000).toISOString(),
        }),
      });
      setSecret({ name: created.name, key: created.key });
      setForm({ ...form, name: '' });
      onCreated();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (projects.length === 0) {
    return (
      <Empty title="Create a project first.">
        Keys belong to a project. Add one on the <a href="#/projects">Projects</a> page.
      </Empty>
    );
  }

  return (
    <>
      {secret && (
        <div className="secret" role="status">
          <strong>Key “{secret.name}” created. Copy it now: it is shown only this once.</strong>
          <code data-testid="new-key-secret">{secret.key}</code>
          <div className="row">
            <button type="button" onClick={() => void navigator.clipboard?.writeText(secret.key)}>
              Copy
            </button>
            <button type="button" onClick={() => setSecret(undefined)}>
              I have stored it
            </button>
          </div>
        </div>
      )}
      <form className="form-grid" onSubmit={submit}>
        <label>
          Name
          <input name="name" required value={form.name} onChange={set('name')} placeholder="checkout-bot" />
        </label>
        <label>
          Project
          <select name="project" value={form.project} onChange={set('project')}>
            {projects.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Provider
          <select name="provider" value={form.provider} onChange={set('provider')}>
            <option value="">any</option>
            {providers.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Models
          <input
            name="models"
            value={form.models}
            onChange={set('models')}
            placeholder="gpt-4o*, any if empty"
          />
        </label>
        <label>
          Endpoints
          <input
            name="endpoints"
            value={form.endpoints}
            onChange={set('endpoints')}
            placeholder="chat/completions"
          />
        </label>
        <label>
          Requests / min
          <input name="rpm" type="number" min="1" value={form.rpm} onChange={set('rpm')} />
        </label>
        <label>
          Daily budget (USD)
          <input
            name="budget"
            type="number"
            min="0.01"
            step="0.01"
            value={form.budget}
            onChange={set('budget')}
          />
        </label>
        <label>
          Expires in (hours)
          <input name="ttl" type="number" min="1" value={form.ttlHours} onChange={set('ttlHours')} />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary">
            Create key
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
    </>
  );
}

export function Keys() {
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('');
  // The Projects page links here as #/keys?project=NAME.
  const [project, setProject] = useState(
    () => new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('project') ?? '',
  );
  const [creating, setCreating] = useState(false);
  const { data, error, reload } = useLoad(async () => {
    const [keys, projects, providers] = await Promise.all([
      api.get<{ data: Key[] }>('/keys'),
      api.get<{ data: Project[] }>('/projects'),
      api.get<{ data: Provider[] }>('/providers'),
    ]);
    return { keys: keys.data, projects: projects.data, providers: providers.data };
  }, []);
  if (error) return <ErrorLine error={error} />;
  if (!data) return <p className="muted">Loading…</p>;

  const needle = search.trim().toLowerCase();
  const keys = data.keys.filter(
    (k) =>
      (!needle || k.name.toLowerCase().includes(needle) || k.prefix.toLowerCase().includes(needle)) &&
      (!status || k.status === status) &&
      (!project || k.project === project),
  );

  return (
    <>
      <div className="title-row">
        <h1>Keys</h1>
        <button type="button" className="primary" onClick={() => setCreating(!creating)}>
          {creating ? 'Close' : 'New key'}
        </button>
      </div>
      {creating && (
        <Panel title="New key">
          <CreateKey projects={data.projects} providers={data.providers} onCreated={reload} />
        </Panel>
      )}
      <Panel
        title={`${keys.length} of ${data.keys.length} keys`}
        actions={
          <div className="filters">
            <input
              type="search"
              placeholder="Search name or prefix"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              aria-label="Search keys"
            />
            <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label="Status">
              <option value="">all statuses</option>
              {['active', 'suspended', 'revoked', 'expired'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <select value={project} onChange={(e) => setProject(e.target.value)} aria-label="Project">
              <option value="">all projects</option>
              {data.projects.map((p) => (
                <option key={p.id}>{p.name}</option>
              ))}
            </select>
          </div>
        }
      >
        {data.keys.length === 0 ? (
          <Empty title="No keys yet.">
            A key is what an app or agent sends instead of your provider key. Press <strong>New key</strong>,
            pick a project and a provider, and hand the secret to the app.
          </Empty>
        ) : keys.length === 0 ? (
          <Empty title="No key matches these filters." />
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Project</th>
                <th>Prefix</th>
                <th>Status</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>
                    <a href={`#/keys/${k.id}`}>{k.name}</a>
                  </td>
                  <td>{k.project}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <Status value={k.status} />
                  </td>
                  <td>{ago(k.created_at)}</td>
                  <td>{ago(k.last_used_at)}</td>
                  <td>{k.expires_at ? dateTime(k.expires_at) : 'never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
