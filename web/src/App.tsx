import { type ReactElement, useEffect, useState } from 'react';
import { api, type Session, setCsrf } from './api';
import { useRoute } from './hooks';
import { Alerts } from './views/Alerts';
import { Audit } from './views/Audit';
import { KeyDetail } from './views/KeyDetail';
import { Keys } from './views/Keys';
import { Overview } from './views/Overview';
import { Projects } from './views/Projects';
import { Providers } from './views/Providers';
import { SignIn } from './views/SignIn';

const NAV = [
  ['', 'Overview'],
  ['keys', 'Keys'],
  ['projects', 'Projects'],
  ['providers', 'Providers'],
  ['alerts', 'Alerts'],
  ['audit', 'Audit log'],
] as const;

/** What the server offers, read from its OpenAPI document (rotation may not exist on older servers). */
async function capabilities(): Promise<{ rotate: boolean }> {
  try {
    const doc = await (await fetch('/admin/v1/openapi.json')).json();
    return {
      rotate: Object.keys(doc.paths ?? {}).some((p) => p.endsWith('/rotate') && p.includes('/keys/')),
    };
  } catch {
    return { rotate: false };
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [caps, setCaps] = useState({ rotate: false });
  const route = useRoute();

  useEffect(() => {
    api.session().then(setSession, () => setSession(null));
    const signedOut = () => setSession(null);
    window.addEventListener('kw:signed-out', signedOut);
    return () => window.removeEventListener('kw:signed-out', signedOut);
  }, []);
  useEffect(() => {
    if (session) {
      setCsrf(session.csrf_token);
      void capabilities().then(setCaps);
    }
  }, [session]);

  if (session === undefined) return null;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    setSession(null);
    window.location.hash = '';
  };

  const [page = '', id] = route;
  const section = page.split('?')[0] ?? '';
  const canWrite = session.role !== 'viewer';
  let view: ReactElement;
  if (section === 'keys' && id) view = <KeyDetail id={id} canRotate={caps.rotate && canWrite} />;
  else if (section === 'keys') view = <Keys />;
  else if (section === 'projects') view = <Projects />;
  else if (section === 'providers') view = <Providers />;
  else if (section === 'alerts') view = <Alerts canWrite={canWrite} />;
  else if (section === 'audit') view = <Audit />;
  else view = <Overview />;

  return (
    <div className="layout">
      <nav className="sidebar">
        <div className="brand">
          <span className="logo">kw</span> keywarden
        </div>
        {NAV.map(([path, label]) => (
          <a key={path} href={`#/${path}`} className={section === path ? 'active' : ''}>
            {label}
          </a>
        ))}
        <div className="sidebar-foot">
          <span className="muted small">signed in as {session.role}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="content">{view}</main>
    </div>
  );
}
