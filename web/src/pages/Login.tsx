import { useQuery } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { ApiProblem, type ProblemBody } from "../api/problem";
import { sso, ssoLoginHref } from "../api/sso";
import { safeNext, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";

export function Login() {
  const { user, signIn } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get("next"));
  const expired = params.get("expired") === "1";
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const options = useQuery({ queryKey: ["sso-options"], queryFn: sso.options, staleTime: Infinity, retry: false });
  const ssoProblem = options.data?.problem ? new ApiProblem(options.data.problem as ProblemBody) : null;
  const ssoOn = options.data?.sso_enabled === true;
  const passwordOpen = options.data?.local_login !== false;

  useEffect(() => {
    document.title = "Sign in · Fleetgate";
  }, []);
  useEffect(() => {
    if (error || ssoProblem) errorRef.current?.focus();
  }, [error, ssoProblem]);

  if (user && !busy) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const wrongPassword = error instanceof ApiProblem && error.status === 401;
  return (
    <main id="main" className="login">
      <div className="login-card">
        <p className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{" "}
          Fleetgate
        </p>
        <h1>Sign in</h1>
        {expired ? (
          <p className="alert alert-info" role="status">
            Your session has ended. Sign in again to continue where you were.
          </p>
        ) : null}
        {ssoProblem && !error ? (
          <ProblemAlert ref={errorRef} error={ssoProblem} title="Single sign-on did not sign you in" />
        ) : null}
        {error ? (
          wrongPassword ? (
            <div ref={errorRef} className="alert alert-error" role="alert" tabIndex={-1}>
              <p>
                <strong>Wrong username or password.</strong> Check both and try again.
              </p>
            </div>
          ) : (
            <ProblemAlert ref={errorRef} error={error} title="Could not sign in" />
          )
        ) : null}
        {ssoOn && options.data ? (
          <p>
            <a className="btn btn-primary btn-block" href={ssoLoginHref(options.data, next)}>
              Sign in with {options.data.display_name}
            </a>
          </p>
        ) : null}
        <PasswordSignIn open={passwordOpen}>
          <form onSubmit={submit} noValidate>
            <div className="field">
              <label htmlFor="username">Username</label>
              <input
                id="username"
                name="username"
                autoComplete="username"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                required
                autoFocus
              />
            </div>
            <div className="field">
              <label htmlFor="password">Password</label>
              <input
                id="password"
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
            </div>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy || !username || !password}>
              {busy ? "Signing in…" : "Sign in"}
            </button>
          </form>
        </PasswordSignIn>
        <p className="small muted">
          Programs use API tokens instead; see <a href="/api/docs/">the API documentation</a>.
        </p>
      </div>
    </main>
  );
}

/** With password sign-in switched off, the form stays for the break-glass administrator, folded away. */
function PasswordSignIn({ open, children }: { open: boolean; children: ReactNode }) {
  if (open) return <>{children}</>;
  return (
    <details className="break-glass-signin">
      <summary>Break-glass administrator sign-in</summary>
      <p className="small muted">Password sign-in is switched off here; only the break-glass account may use it.</p>
      {children}
    </details>
  );
}
