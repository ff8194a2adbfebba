import { NavLink, Outlet, useLocation } from "react-router";
import { useSession, useUser } from "../auth/session";
import { ROLE_LABELS } from "../lib/permissions";
import { visibleNav } from "../nav";
import { TimeZoneContext } from "../lib/time";
import { ErrorBoundary } from "./ErrorBoundary";
import { GlobalSearch } from "./GlobalSearch";
import { NotificationBell } from "./NotificationBell";

export function Layout() {
  const user = useUser();
  const { signOut } = useSession();
  const location = useLocation();
  const roles = [...new Set(user.roles.map((g) => ROLE_LABELS[g.role] ?? g.role))].join(", ");
  return (
    <TimeZoneContext.Provider value={user.time_zone ?? "UTC"}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <NavLink to="/" className="brand" aria-label="Fleetgate home">
            <span className="brand-mark" aria-hidden="true">
              ◆
            </span>{" "}
            Fleetgate
          </NavLink>
          <GlobalSearch />
          <div className="topbar-user">
            <NotificationBell />
            <NavLink to="/me" className="whoami" title="My account: roles, time zone, password and API tokens">
              <span className="whoami-name">{user.username}</span>
              <span className="whoami-roles">{roles || "no roles"}</span>
            </NavLink>
            <button type="button" className="btn btn-ghost" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <div className="body">
          <nav className="sidenav" aria-label="Main">
            {visibleNav(user).map((section) => (
              <div key={section.label} className="nav-section">
                <h2 className="nav-heading" id={`nav-${section.label}`}>
                  {section.label}
                </h2>
                <ul aria-labelledby={`nav-${section.label}`}>
                  {section.items.map((item) => (
                    <li key={item.to}>
                      <NavLink to={item.to} end={item.end}>
                        {item.label}
                      </NavLink>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </nav>
          <main id="main" className="content" tabIndex={-1}>
            <ErrorBoundary key={location.pathname}>
              <Outlet />
            </ErrorBoundary>
          </main>
        </div>
      </div>
    </TimeZoneContext.Provider>
  );
}
