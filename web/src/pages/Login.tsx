import { type FormEvent, useEffect, useRef, useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { ApiProblem } from "../api/problem";
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

  useEffect(() => {
    document.title = "Sign in · Fleetgate";
  }, []);
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

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
        <p className="small muted">
          Programs use API tokens instead; see <a href="/api/docs/">the API documentation</a>.
        </p>
      </div>
    </main>
  );
}
