import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.js';

export const SESSION_COOKIE = 'kw_session';
export const CSRF_HEADER = 'x-csrf-token';

interface Session {
  /** The admin token the operator signed in with; kept in memory only, checked on every request. */
  token: string;
  csrf: string;
  expiresAt: number;
}

/**
 * Dashboard sessions: an opaque random id in an httpOnly SameSite=Strict cookie maps to the admin
 * token in server memory, so the browser's JavaScript never holds the token. Sessions end on sign
 * out, after `ttlMs` without use, or when the gateway restarts.
 */
export function createSessions(deps: { clock: Clock; ttlMs: number; max?: number }) {
  const sessions = new Map<string, Session>();
  const max = deps.max ?? 10_000;

  const live = (id: string | undefined): Session | undefined => {
    if (!id) return undefined;
    const session = sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= deps.clock.now()) {
      sessions.delete(id);
      return undefined;
    }
    session.expiresAt = deps.clock.now() + deps.ttlMs;
    return session;
  };

  return {
    create(token: string): { id: string; csrf: string } {
      if (sessions.size >= max) {
        // The oldest sessions (Map keeps insertion order) make room.
        for (const id of [...sessions.keys()].slice(0, Math.ceil(max / 10))) sessions.delete(id);
      }
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(32).toString('base64url');
      sessions.set(id, { token, csrf, expiresAt: deps.clock.now() + deps.ttlMs });
      return { id, csrf };
    },
    get: (id: string | undefined) => live(id),
    /** Constant-time check of the CSRF token a state-changing request sent. */
    csrfMatches(session: Session, sent: string | undefined): boolean {
      if (!sent) return false;
      const a = Buffer.from(session.csrf);
      const b = Buffer.from(sent);
      return a.length === b.length && timingSafeEqual(a, b);
    },
    destroy(id: string | undefined): void {
      if (id) sessions.delete(id);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
