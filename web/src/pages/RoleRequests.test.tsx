import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { ApiProblem } from "../api/problem";
import { DualControlAlert } from "./RoleRequests";

const DETAIL = "Granting cab_approver to bob needs a second Platform Admin: file a role-grant request (POST /api/v1/role-grant-requests/ ...)";

const refusal = (extra: Record<string, unknown>) =>
  new ApiProblem({
    type: "urn:x",
    status: 403,
    code: "separation-of-duties",
    title: "Separation of duties",
    detail: DETAIL,
    correlation_id: "c-1",
    rule: "dual-control",
    attempted: "user.grant_role",
    roles: ["cab_approver"],
    resource: "/api/v1/role-grant-requests/",
    ...extra,
  } as never);

function show(error: unknown) {
  render(
    <MemoryRouter>
      <DualControlAlert error={error} username="bob" />
    </MemoryRouter>,
  );
  return screen.getByRole("alert");
}

describe("a save refused under dual control", () => {
  it("links to the form that files the request, in words, never a URL or a command", () => {
    const alert = show(refusal({ user: 7, pending_requests: [] }));
    expect(alert.textContent).toContain("Granting CAB Approver to bob needs a second Platform Admin");
    expect(alert.textContent).not.toMatch(/\/api\/|fleetgate |POST/);
    expect(screen.getByRole("link", { name: "Request CAB Approver for bob" }).getAttribute("href")).toBe(
      "/settings/role-requests?user=7&role=cab_approver",
    );
  });

  it("links to the pending request when one is filed already", () => {
    show(refusal({ user: 7, pending_requests: [12] }));
    expect(screen.getByRole("link", { name: "see the pending request" }).getAttribute("href")).toBe("/settings/role-requests#grant-request-12");
  });

  it("shows any other problem as usual", () => {
    const other = new ApiProblem({ type: "urn:x", status: 403, code: "forbidden", title: "Forbidden", detail: "Nope.", correlation_id: "c" } as never);
    expect(show(other).textContent).toContain("Nope.");
  });
});
