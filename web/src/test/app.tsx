/** The component tests' one way to sign someone in and render the app (or a part of it) at a path. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";
import { AppRoutes } from "../App";
import { api } from "../api/client";
import { SessionProvider } from "../auth/session";

/** The session answers: signed in as `username` with one role in `boundary` (all business units). */
export function signedInAs(
  role: string,
  { username = role, id = "1", zone = "UTC", boundary = "*" }: { username?: string; id?: string; zone?: string; boundary?: string } = {},
) {
  vi.spyOn(api, "session").mockResolvedValue({
    authenticated: true,
    user: { id, username, kind: "user", time_zone: zone, roles: [{ role, boundary, business_units: ["*"] }] },
  } as never);
}

function client() {
  return new QueryClient({ defaultOptions: { queries: { retry: false } } });
}

/** The whole app, routed at `path`, with the session provider. */
export function renderApp(path: string) {
  return render(
    <QueryClientProvider client={client()}>
      <MemoryRouter initialEntries={[path]}>
        <SessionProvider>
          <AppRoutes />
        </SessionProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** One component with a query client and a router around it. */
export function renderPart(children: ReactNode, path = "/") {
  return render(
    <QueryClientProvider client={client()}>
      <MemoryRouter initialEntries={[path]}>{children}</MemoryRouter>
    </QueryClientProvider>,
  );
}
