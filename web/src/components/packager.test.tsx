import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AppRoutes } from "../App";
import { api, type Artifact, type EvidenceItem } from "../api/client";
import { ApiProblem } from "../api/problem";
import { reads } from "../api/reads";
import { SessionProvider } from "../auth/session";
import { detectKind, fieldInWords } from "../lib/evidence";
import { ArtifactUpload } from "./ArtifactUpload";
import { EvidenceAttach } from "./EvidenceAttach";
import { EvidenceChecklist } from "./EvidenceChecklist";
import { FileDrop } from "./FileDrop";
import { UploadProgress } from "./UploadProgress";

const SHA = "540e1e24d811977fe81f1519a073339063d46bc1fd75f6b72be68e4e839bed16";

function wrap(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>{children}</MemoryRouter>
    </QueryClientProvider>,
  );
}

const json = (name: string, doc: unknown) => new File([JSON.stringify(doc)], name, { type: "application/json" });

function item(kind: EvidenceItem["kind"], filename: string): EvidenceItem {
  return { id: `e-${kind}`, artifact: "a1", kind, format: "json", status: "verified", verified: true, filename, sha256: SHA, size: 10, current: true, summary: {}, created_by: "packager" };
}

describe("detecting an evidence file's kind", () => {
  it("reads the content first and the file name second", () => {
    expect(detectKind("x.json", JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6" }))).toBe("sbom");
    expect(detectKind("x.json", JSON.stringify({ SchemaVersion: 2, Results: [] }))).toBe("vulnerability_scan");
    expect(detectKind("x.json", JSON.stringify({ scanner: "clamav", target_sha256: SHA, result: "clean" }))).toBe("malware_scan");
    expect(detectKind("x.json", JSON.stringify({ rollback_version: "0.9.0" }))).toBe("rollback_plan");
    expect(detectKind("report.sarif", "not json")).toBe("vulnerability_scan");
    expect(detectKind("notes.txt", "hello")).toBeNull();
    expect(fieldInWords("scan.json:$.metadata.component[0].hashes")).toBe("metadata › component › item 1 › hashes");
  });
});

describe("the file-drop zone", () => {
  it("takes a file from the picker and from a drop", async () => {
    const onFile = vi.fn();
    wrap(<FileDrop label="Installer file" onFile={onFile} />);
    await userEvent.upload(screen.getByLabelText("Installer file"), new File(["a"], "one.msi"));
    expect(onFile).toHaveBeenLastCalledWith(expect.objectContaining({ name: "one.msi" }));
    fireEvent.drop(screen.getByTestId("file-drop"), { dataTransfer: { files: [new File(["b"], "two.msi")] } });
    expect(onFile).toHaveBeenLastCalledWith(expect.objectContaining({ name: "two.msi" }));
    expect(screen.getByText("two.msi")).toBeInTheDocument();
  });
});

describe("upload progress", () => {
  it("says how much is sent", () => {
    wrap(<UploadProgress label="Uploading a.msi" fraction={0.42} />);
    expect(screen.getByRole("progressbar")).toHaveAttribute("value", "42");
    expect(screen.getByText(/42% sent/)).toBeInTheDocument();
  });
});

describe("uploading an artifact", () => {
  it("shows the progress, then the SHA-256 Fleetgate computed", async () => {
    let finish: (a: Artifact) => void = () => undefined;
    const upload = vi.spyOn(api.artifacts, "upload").mockImplementation((_fields, onProgress) => {
      onProgress(0.5);
      return new Promise((resolve) => (finish = resolve));
    });
    wrap(<ArtifactUpload applicationId="app1" versionId="v1" versionLabel="2.1.0" platforms={["windows"]} />);
    await userEvent.upload(screen.getByLabelText("Installer file for version 2.1.0"), new File(["x"], "notes.msi"));
    expect(screen.getByLabelText("Package format")).toHaveValue("msi");
    await userEvent.click(screen.getByRole("button", { name: /Upload notes\.msi/ }));
    expect(upload).toHaveBeenCalledWith(expect.objectContaining({ version: "v1", platform: "windows", format: "msi" }), expect.any(Function));
    expect(await screen.findByRole("progressbar")).toHaveAttribute("value", "50");
    finish({ id: "a1", version: "v1", platform: "windows", format: "msi", filename: "notes.msi", size: 1, sha256: SHA, uploaded_by: "packager" } as Artifact);
    expect(await screen.findByTestId("artifact-sha256")).toHaveTextContent(SHA);
  });
});

describe("attaching evidence", () => {
  it("detects the kind and shows a bad file's problem in words, next to it", async () => {
    const upload = vi.spyOn(api.evidence, "upload").mockRejectedValue(
      new ApiProblem({
        type: "about:blank",
        status: 422,
        code: "evidence-invalid",
        title: "The evidence file is not valid",
        detail: "scan.json is not a valid malware scan; fix the listed paths and upload it again.",
        correlation_id: "c1",
        errors: [{ field: "scan.json:$.result", rule: "missing", message: "Field required" }],
      }),
    );
    wrap(<EvidenceAttach artifactId="a1" artifactName="notes.msi" />);
    await userEvent.upload(screen.getByLabelText("Evidence file for notes.msi"), json("scan.json", { scanner: "clamav", target_sha256: SHA }));
    expect(await screen.findByLabelText("Kind of evidence")).toHaveValue("malware_scan");
    expect(screen.getByText(/Detected: Malware scan/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Attach scan.json" }));
    expect(upload).toHaveBeenCalledWith(expect.objectContaining({ artifact: "a1", kind: "malware_scan" }), expect.any(Function));
    const problem = await screen.findByTestId("evidence-problem");
    expect(problem).toHaveTextContent("This file is not a valid Malware scan.");
    expect(within(problem).getByText("result")).toBeInTheDocument();
    expect(problem).toHaveTextContent("is required and missing");
    expect(problem).not.toHaveTextContent("Field required");
    expect(problem).not.toHaveTextContent("$.result");
  });

  it("lets the kind be chosen when the file does not say", async () => {
    wrap(<EvidenceAttach artifactId="a1" artifactName="notes.msi" />);
    await userEvent.upload(screen.getByLabelText("Evidence file for notes.msi"), new File(["plain"], "sig.bin"));
    expect(await screen.findByText(/could not tell the kind/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Attach sig.bin" })).toBeDisabled();
    await userEvent.selectOptions(screen.getByLabelText("Kind of evidence"), "signature");
    expect(screen.getByRole("button", { name: "Attach sig.bin" })).toBeEnabled();
  });
});

describe("the evidence checklist", () => {
  it("counts the required kinds attached, names what is missing, and follows the server's checks", async () => {
    const gap = (kind: string) => ({ check: "sections-present", field: `sections.${kind}`, message: "raw", kind });
    const completeness = vi.spyOn(reads.evidence, "completeness").mockResolvedValue({
      artifact: "a1",
      intent: null,
      ready: false,
      checks: [],
      gaps: [
        ...["vulnerability_scan", "malware_scan", "signature", "install_facts", "rollback_plan", "test_evidence"].map(gap),
        { check: "no-malware", field: "sections.malware_scan", message: "raw", kind: "malware_scan" },
      ],
    } as never);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const at = (items: EvidenceItem[]) => (
      <QueryClientProvider client={client}>
        <MemoryRouter>
          <EvidenceChecklist artifactId="a1" items={items} caption="Checklist" />
        </MemoryRouter>
      </QueryClientProvider>
    );
    const { rerender } = render(at([item("sbom", "sbom.cdx.json")]));
    expect(screen.getByTestId("checklist-count")).toHaveTextContent("1 of 7 required kinds of evidence attached.");
    expect(screen.getByText("SBOM").closest("li")).toHaveAttribute("data-done", "yes");
    expect(screen.getByText("Rollback plan").closest("li")).toHaveTextContent("missing");
    expect(screen.getByText("Rollback plan").closest("li")).toHaveAttribute("id", "ev-a1-rollback_plan");
    expect(screen.getByText("Provenance").closest("li")).toHaveTextContent("optional, not attached");
    const open = await screen.findByTestId("completeness-gaps");
    expect(open).toHaveTextContent("The malware scan is not clean (Malware scan).");
    expect(open).not.toHaveTextContent("raw");
    expect(completeness).toHaveBeenCalledWith("a1");
    completeness.mockResolvedValue({ artifact: "a1", intent: null, ready: false, checks: [], gaps: [] } as never);
    const all = (["sbom", "vulnerability_scan", "malware_scan", "signature", "install_facts", "rollback_plan", "test_evidence"] as const).map((k) => item(k, `${k}.json`));
    rerender(at(all));
    // An upload invalidates the artifact's evidence, and the completeness read under it asks again.
    await client.invalidateQueries({ queryKey: ["evidence", "a1"] });
    await waitFor(() =>
      expect(screen.getByTestId("checklist-count")).toHaveTextContent("7 of 7 required kinds of evidence attached: the evidence is complete"),
    );
    expect(screen.queryByTestId("completeness-gaps")).toBeNull();
  });
});

describe("registering an application", () => {
  beforeEach(() => {
    vi.spyOn(api, "session").mockResolvedValue({
      authenticated: true,
      user: { id: "2", username: "packager", kind: "user", time_zone: "UTC", roles: [{ role: "packaging_engineer", boundary: "*", business_units: ["*"] }] },
    } as never);
    vi.spyOn(api.applications, "list").mockResolvedValue([
      { id: "app0", name: "SAP GUI", vendor: "SAP", category: "business", platforms: ["windows"], boundary: "acme", business_units: ["finance"], version_count: 1 },
    ] as never);
  });

  it("picks boundary and business unit from the catalog and sends the form", async () => {
    const create = vi.spyOn(api.applications, "create").mockResolvedValue({ id: "app9", name: "Notes" } as never);
    vi.spyOn(api.applications, "get").mockResolvedValue({ id: "app9", name: "Notes", vendor: "Contoso", category: "productivity", platforms: ["windows"], boundary: "acme", business_units: ["finance"] } as never);
    vi.spyOn(api.versions, "list").mockResolvedValue({ results: [] } as never);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={["/applications"]}>
          <SessionProvider>
            <AppRoutes />
          </SessionProvider>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Register an application" }));
    const form = await screen.findByRole("form", { name: "Register an application" });
    await userEvent.click(within(form).getByRole("button", { name: "Register application" }));
    expect(within(form).getByText("Choose at least one platform.")).toBeInTheDocument();
    expect(create).not.toHaveBeenCalled();
    await userEvent.type(within(form).getByLabelText("Name"), "Notes");
    await userEvent.type(within(form).getByLabelText("Vendor"), "Contoso");
    await userEvent.selectOptions(within(form).getByLabelText("Category"), "productivity");
    await userEvent.click(within(form).getByLabelText("Windows"));
    await userEvent.selectOptions(within(form).getByLabelText("Boundary"), "acme");
    await userEvent.click(within(form).getByLabelText("finance"));
    await userEvent.click(within(form).getByRole("button", { name: "Register application" }));
    await waitFor(() =>
      expect(create).toHaveBeenCalledWith(
        expect.objectContaining({ name: "Notes", vendor: "Contoso", category: "productivity", platforms: ["windows"], boundary: "acme", business_units: ["finance"] }),
      ),
    );
    expect(await screen.findByRole("button", { name: "Add a version" })).toBeInTheDocument();
  });
});

describe("sealing", () => {
  it("lists a refused seal's gaps in words with a link to the intent", async () => {
    const { EvidenceSeal } = await import("./EvidenceSeal");
    vi.spyOn(api.intents, "list").mockResolvedValue({
      results: [{ id: "i1", name: "notes-2-1", title: "Notes 2.1.0 to finance", version: "2.1.0", state: "draft" }],
    } as never);
    vi.spyOn(api.evidencePacks, "seal").mockRejectedValue(
      new ApiProblem({
        type: "about:blank",
        status: 422,
        code: "evidence-incomplete",
        title: "Evidence incomplete",
        detail: "2 completeness check(s) failed; fix every listed gap, then seal again.",
        correlation_id: "c2",
        errors: [
          { field: "sections.signature", rule: "sections-present", message: "raw" },
          { field: "risk", rule: "risk-assessed", message: "raw" },
        ],
      }),
    );
    wrap(<EvidenceSeal applicationId="app1" versionLabel="2.1.0" artifactId="a1" />);
    expect(await screen.findByLabelText("Seal for intent")).toHaveDisplayValue("Notes 2.1.0 to finance");
    await userEvent.click(screen.getByRole("button", { name: "Seal evidence pack" }));
    const gaps = await screen.findByTestId("seal-gaps");
    expect(gaps).toHaveTextContent("2 checks do not hold");
    expect(gaps).toHaveTextContent("Signature: evidence is missing.");
    expect(gaps).toHaveTextContent("no current risk assessment");
    expect(gaps).not.toHaveTextContent("raw");
    expect(within(gaps).getByRole("link", { name: "Open the intent" })).toHaveAttribute("href", "/intents/i1");
    expect(within(gaps).getByRole("link", { name: "Go to the Signature evidence" })).toHaveAttribute("href", "#ev-a1-signature");
  });

  it("says sealing waits for an intent when none deploys the version", async () => {
    const { EvidenceSeal } = await import("./EvidenceSeal");
    vi.spyOn(api.intents, "list").mockResolvedValue({ results: [] } as never);
    wrap(<EvidenceSeal applicationId="app1" versionLabel="2.1.0" artifactId="a1" />);
    expect(await screen.findByText(/no intent deploys version 2\.1\.0 yet/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Seal evidence pack" })).toBeNull();
  });
});
