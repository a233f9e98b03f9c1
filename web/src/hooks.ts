import { useCallback, useEffect, useState } from 'react';

/** Loads data from the admin API; `reload` fetches again (after a change). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: callers list what the load depends on.
  const run = useCallback(load, deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is how `reload` asks for a fresh load.
  useEffect(() => {
    let live = true;
    run().then(
      (value) => {
        if (live) {
          setData(value);
          setError(undefined);
        }
      },
      (e: unknown) => {
        if (live) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      live = false;
    };
  }, [run, version]);
  return { data, error, reload: () => setVersion((v) => v + 1) };
}

/** The hash route: `#/keys/key_123` → ['keys', 'key_123']. */
const readRoute = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);

export function useRoute(): string[] {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const onChange = () => setRoute(readRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
