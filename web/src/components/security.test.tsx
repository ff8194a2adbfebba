import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { AppRoutes } from "../App";
import { api, type PolicyException, type RoleName, type TrustedKey } from "../api/client";
import { ApiProblem } from "../api/problem";
import { SessionProvider } from "../auth/session";
import { keyStatus, looksLikePem, validityText } from "../lib/trust";
import { ExceptionCoverage, severityText } from "./ExceptionCoverage";
import { ExceptionDecisionDialog } from "./ExceptionDecisionDialog";
import { TrustedKeyForm } from "./TrustedKeyForm";

const PEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

function wrap(children: React.ReactNode, path = "/") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>{children}</MemoryRouter>
    </QueryClientProvider>,
  );
}

function signedInAs(username: string, role: RoleName) {
  vi.spyOn(api, "session").mockResolvedValue({
    authenticated: true,
    user: { id: "5", username, kind: "user", time_zone: "UTC", roles: [{ role, boundary: "*", business_units: ["*"] }] },
  } as never);
}

const key = (over: Partial<TrustedKey> = {}): TrustedKey => ({
  key_id: "0123456789abcdef0123456789abcdef",
  name: "Contoso release key",
  publisher: "Contoso",
  kind: "public_key",
  algorithm: "ed25519",
  pem: PEM,
  not_before: "2026-01-01T00:00:00Z",
  expires_at: "2030-01-01T00:00:00Z",
  revoked_at: null,
  created_by: "security",
  created_at: "2026-01-01T00:00:00Z",
  ...over,
});

const exception = (over: Partial<PolicyException> = {}): PolicyException => ({
  id: "e1",
  kind: "vulnerability",
  artifact: "art1",
  intent: null,
  subject: "CVE-2026-31337",
  justification: "Only reachable with the legacy PDF plugin.",
  compensating_controls: "Plugin blocked by policy.",
  owner: "publisher",
  requested_by: "packager",
  state: "requested",
  expires_at: "2030-01-01T00:00:00Z",
  original_expires_at: "2030-01-01T00:00:00Z",
  approvals: [],
  covers: {
    application: { id: "app1", name: "Mozilla Firefox ESR" },
    version: { id: "ver1", name: "128.6.0" },
    artifact: { id: "art1", filename: "firefox-128.6.0.msi", platform: "windows", format: "msi" },
    intent: over.intent ? { id: over.intent, name: "firefox-128-finance" } : null,
    finding: { id: "CVE-2026-31337", severity: "High", score: "8.1", component: "pdfjs", installed_version: "4.1", fixed_version: "4.2" },
  },
  ...over,
});

/** The coverage comes with the exception: no lookup per row may be made. */
function forbidLookups() {
  return [
    vi.spyOn(api.artifacts, "get"),
    vi.spyOn(api.versions, "get"),
    vi.spyOn(api.applications, "get"),
    vi.spyOn(api.intents, "get"),
    vi.spyOn(api.evidence, "list"),
  ];
}

describe("trusted keys in words", () => {
  it("says whether a key is in force and for how long", () => {
    const now = new Date("2027-01-01T00:00:00Z");
    expect(keyStatus(key(), now)).toBe("active");
    expect(keyStatus(key({ revoked_at: "2026-06-01T00:00:00Z" }), now)).toBe("revoked");
    expect(keyStatus(key({ expires_at: "2026-12-31T00:00:00Z" }), now)).toBe("expired");
    expect(keyStatus(key({ not_before: "2028-01-01T00:00:00Z" }), now)).toBe("not-yet-valid");
    expect(validityText(key())).toBe("From 2026-01-01 00:00 UTC until 2030-01-01 00:00 UTC");
    expect(validityText(key({ expires_at: null }))).toBe("From 2026-01-01 00:00 UTC, with no expiry");
    expect(looksLikePem(PEM)).toBe(true);
    expect(looksLikePem("ssh-ed25519 AAAA")).toBe(false);
  });
});

describe("adding a trusted key", () => {
  it("marks missing fields without sending anything", async () => {
    const create = vi.spyOn(api.trustedKeys, "create");
    wrap(<TrustedKeyForm onAdded={() => undefined} />);
    await userEvent.click(screen.getByRole("button", { name: "Add trusted key" }));
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Publisher")).toHaveAttribute("aria-invalid", "true");
    expect(document.getElementById("f-tk-pem-error")).toHaveTextContent("Paste the PEM text or choose a .pem file.");
    await userEvent.type(screen.getByLabelText("Public key or X.509 root (PEM)"), "ssh-ed25519 AAAA");
    await userEvent.click(screen.getByRole("button", { name: "Add trusted key" }));
    expect(document.getElementById("f-tk-pem-error")).toHaveTextContent("This is not PEM text");
    expect(create).not.toHaveBeenCalled();
  });

  it("puts the server's field problem on its field, then sends name, publisher, PEM and expiry", async () => {
    const create = vi
      .spyOn(api.trustedKeys, "create")
      .mockRejectedValueOnce(
        new ApiProblem({ type: "urn:x", status: 400, code: "validation-failed", title: "Invalid", detail: "The key cannot be registered.", correlation_id: "c1", errors: [{ field: "pem", rule: "certificate-format", message: "Not a PEM certificate or public key." }] } as never),
      )
      .mockResolvedValueOnce(key());
    const onAdded = vi.fn();
    wrap(<TrustedKeyForm onAdded={onAdded} />);
    await userEvent.type(screen.getByLabelText("Name"), "Contoso release key");
    await userEvent.type(screen.getByLabelText("Publisher"), "Contoso");
    const pem = screen.getByLabelText("Public key or X.509 root (PEM)");
    await userEvent.click(pem);
    await userEvent.paste(PEM);
    await userEvent.type(screen.getByLabelText("Expires (UTC, optional)"), "2030-01-01T00:00");
    await userEvent.click(screen.getByRole("button", { name: "Add trusted key" }));
    await waitFor(() => expect(document.getElementById("f-tk-pem-error")).toHaveTextContent("Not a PEM certificate or public key."));
    expect(pem).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    await userEvent.click(screen.getByRole("button", { name: "Add trusted key" }));
    await waitFor(() => expect(onAdded).toHaveBeenCalled());
    expect(create).toHaveBeenLastCalledWith({ name: "Contoso release key", publisher: "Contoso", pem: PEM.trim(), expires_at: "2030-01-01T00:00:00.000Z" });
    expect(screen.getByLabelText("Name")).toHaveValue("");
  });
});

describe("the trusted keys page", () => {
  it("shows add and revoke to a Security Reviewer and revokes with a reason", async () => {
    signedInAs("security", "security_reviewer");
    vi.spyOn(api.trustedKeys, "list").mockResolvedValue([key()]);
    const revoke = vi.spyOn(api.trustedKeys, "revoke").mockResolvedValue(key({ revoked_at: "2026-06-01T00:00:00Z" }));
    wrap(<SessionProvider><AppRoutes /></SessionProvider>, "/trusted-keys");
    const row = (await screen.findByText("Contoso release key")).closest("tr") as HTMLElement;
    expect(row).toHaveTextContent("Public key, Ed25519");
    expect(row).toHaveTextContent("Trusted");
    expect(screen.getByRole("form", { name: "Add a trusted key" })).toBeInTheDocument();
    await userEvent.click(within(row).getByRole("button", { name: "Revoke Contoso release key…" }));
    const dialog = screen.getByRole("dialog", { hidden: true });
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke key", hidden: true }));
    expect(revoke).not.toHaveBeenCalled();
    await userEvent.type(within(dialog).getByLabelText(/Reason/), "Rotated.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke key", hidden: true }));
    await waitFor(() => expect(revoke).toHaveBeenCalledWith("0123456789abcdef0123456789abcdef", "Rotated."));
    expect(await screen.findByText(/Revoked Contoso release key\./)).toBeInTheDocument();
  });

  it("shows an Auditor the list only", async () => {
    signedInAs("auditor", "auditor");
    vi.spyOn(api.trustedKeys, "list").mockResolvedValue([key()]);
    wrap(<SessionProvider><AppRoutes /></SessionProvider>, "/trusted-keys");
    await screen.findByText("Contoso release key");
    expect(screen.queryByRole("form", { name: "Add a trusted key" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Revoke/ })).toBeNull();
  });
});

describe("what an exception covers", () => {
  it("says the finding's severity in words", () => {
    expect(severityText({ severity: "Critical", score: "9.8" })).toBe("Critical severity (CVSS 9.8)");
    expect(severityText({ severity: "None", score: null })).toBe("No severity");
    expect(severityText(null)).toBe("severity not known");
  });

  it("names application, version, artifact, finding and intent, with links", async () => {
    const lookups = forbidLookups();
    wrap(<ExceptionCoverage row={exception({ intent: "int1" })} />);
    const app = await screen.findByRole("link", { name: "Mozilla Firefox ESR" });
    expect(app).toHaveAttribute("href", "/applications/app1");
    expect(await screen.findByRole("link", { name: "128.6.0" })).toHaveAttribute("href", "/applications/app1#v-ver1");
    expect(screen.getByRole("link", { name: /firefox-128\.6\.0\.msi \(Windows, MSI\)/ })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "firefox-128-finance" })).toHaveAttribute("href", "/intents/int1");
    await waitFor(() => expect(screen.getByTestId("exception-coverage")).toHaveTextContent("High severity (CVSS 8.1) in pdfjs 4.1; fixed in 4.2"));
    expect(screen.getByTestId("exception-coverage").textContent).not.toContain("art1");
    for (const lookup of lookups) expect(lookup).not.toHaveBeenCalled();
  });

  it("says when the subject is no finding of the current scan, and when no intent is named", () => {
    const row = exception();
    wrap(<ExceptionCoverage row={{ ...row, covers: { ...row.covers, finding: null } }} />);
    const facts = screen.getByTestId("exception-coverage");
    expect(facts).toHaveTextContent("not in the artifact's current vulnerability scan");
    expect(facts).toHaveTextContent("Not tied to one intent");
  });

  it("is shown in the decision dialog; a rejection needs a reason before anything is sent", async () => {
    const reject = vi.spyOn(api.exceptions, "reject").mockResolvedValue(exception({ state: "rejected" }));
    const onDone = vi.fn();
    wrap(<ExceptionDecisionDialog action={{ kind: "reject", row: exception() }} onClose={() => undefined} onDone={onDone} />);
    const dialog = screen.getByRole("dialog", { hidden: true });
    expect(await within(dialog).findByRole("link", { name: "Mozilla Firefox ESR", hidden: true })).toBeInTheDocument();
    await within(dialog).findByText(/High severity/);
    await userEvent.click(within(dialog).getByRole("button", { name: "Reject exception", hidden: true }));
    expect(document.getElementById("f-exc-reason-error")).toHaveTextContent("A rejection needs a reason");
    expect(reject).not.toHaveBeenCalled();
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "Fix is out; upgrade instead.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reject exception", hidden: true }));
    await waitFor(() => expect(reject).toHaveBeenCalledWith("e1", "Fix is out; upgrade instead."));
    expect(onDone).toHaveBeenCalledWith(expect.objectContaining({ state: "rejected" }), "reject");
  });
});
