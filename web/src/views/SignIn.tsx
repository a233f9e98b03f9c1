import { type FormEvent, useState } from 'react';
import { api, type Session } from '../api';

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api.signIn(token));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="signin-box" onSubmit={submit}>
        <h1>
          <span className="logo">kw</span> keywarden
        </h1>
        <p className="muted">
          Sign in with an admin token. The first one was printed when the server was initialised.
        </p>
        <label htmlFor="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          placeholder="kwa_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          Lost it? Create another with <code>keywarden init</code> on a fresh data dir, or ask an owner for an
          admin token.
        </p>
      </form>
    </main>
  );
}
