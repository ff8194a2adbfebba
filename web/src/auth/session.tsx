/**
 * Who is signed in. The session query is the single source of truth; a 401 from any data
 * endpoint (an expired or revoked session) sends the person to sign-in and, after signing in,
 * back to where they were.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { api, type Me, type Session } from "../api/client";
import { sso } from "../api/sso";

export const SESSION_KEY = ["session"] as const;

interface SessionValue {
  user: Me | null;
  loading: boolean;
  error: unknown;
  /** The session ended under the person (401 from a data endpoint), as opposed to never existing. */
  expired: boolean;
  signIn: (username: string, password: string) => Promise<Me>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function loginPath(next: string, expired = false): string {
  const params = new URLSearchParams();
  if (next && next !== "/" && !next.startsWith("/login")) params.set("next", next);
  if (expired) params.set("expired", "1");
  const qs = params.toString();
  return qs ? `/login?${qs}` : "/login";
}

/** Only same-site paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const query = useQuery({ queryKey: SESSION_KEY, queryFn: api.session, staleTime: 60_000, retry: 1 });

  const [expired, setExpired] = useState(false);

  // RequireAuth sees the anonymous session and sends the person to sign-in with `next` set.
  useEffect(
    () =>
      api.onSessionExpired(() => {
        if (window.location.pathname.startsWith("/login")) return;
        setExpired(true);
        queryClient.setQueryData<Session>(SESSION_KEY, { authenticated: false, user: null });
        queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      }),
    [queryClient],
  );

  const signIn = useCallback(
    async (username: string, password: string) => {
      // The login POST needs the CSRF cookie, which GET /auth/session/ sets.
      if (!document.cookie.includes("csrftoken=")) await api.session();
      const session = await api.login({ username, password });
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      queryClient.setQueryData(SESSION_KEY, session);
      setExpired(false);
      if (!session.user) throw new Error("Signed in, but the server returned no user.");
      return session.user;
    },
    [queryClient],
  );

  const signOut = useCallback(async () => {
    let endSession: string | null | undefined = null;
    try {
      // Ends any session; a single sign-on session is then ended at the identity provider too.
      endSession = (await sso.logout()).end_session_url;
    } finally {
      queryClient.clear();
      setExpired(false);
      queryClient.setQueryData<Session>(SESSION_KEY, { authenticated: false, user: null });
      if (endSession) window.location.assign(endSession);
      else navigate("/login", { replace: true });
    }
  }, [navigate, queryClient]);

  const value = useMemo<SessionValue>(
    () => ({
      user: query.data?.authenticated ? (query.data.user ?? null) : null,
      loading: query.isPending,
      error: query.error,
      expired,
      signIn,
      signOut,
    }),
    [query.data, query.isPending, query.error, expired, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The signed-in user; only call under <RequireAuth>. */
export function useUser(): Me {
  const { user } = useSession();
  if (!user) throw new Error("useUser without a signed-in user");
  return user;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const { user, loading, expired } = useSession();
  const location = useLocation();
  if (loading) {
    return (
      <p className="loading center" role="status">
        <span className="spinner" aria-hidden="true" /> Checking your session…
      </p>
    );
  }
  if (!user) {
    return <Navigate to={loginPath(`${location.pathname}${location.search}`, expired)} replace />;
  }
  return <>{children}</>;
}
