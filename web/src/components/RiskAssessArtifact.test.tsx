import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, type Intent, type Me } from "../api/client";
import { risk } from "../api/risk";
import { renderPart } from "../test/app";
import { RiskAssessForm } from "./RiskAssess";

vi.mock("../auth/session", () => ({ useUser: () => ({ id: "1", username: "packager", roles: [] }) as unknown as Me }));

const INTENT = { id: "i1", application: "app1", version: "2.0.0", target_boundary: "acme", target_business_unit: "finance", state: "draft" } as Intent;
const preview = (artifact: string, rationale: string) => ({
  rubric_version: "1.0",
  artifact,
  privileged_tooling: false,
  derived: { sbom_vulnerability: { option: "low_medium_only", value: "0.3", source: "derived", rationale, weight: "15" } },
  declared: { privilege_impact: { weight: "20", options: { user_context: "0.2" } } },
});
const artifact = (id: string, filename: string, platform: string) => ({ id, filename, platform, format: "msi", version: "v2", size: 1, sha256: "x", uploaded_by: "p" });

beforeEach(() => {
  vi.spyOn(api.versions, "list").mockResolvedValue({
    next: null,
    previous: null,
    results: [
      { id: "v1", application: "app1", version: "1.0.0", artifacts: [artifact("old", "old.msi", "windows")] },
      { id: "v2", application: "app1", version: "2.0.0", artifacts: [artifact("win", "notes-2.0.msi", "windows"), artifact("mac", "notes-2.0.pkg", "macos")] },
    ],
  } as never);
});
afterEach(() => vi.restoreAllMocks());

describe("the assess form's artifact choice", () => {
  it("defaults to the artifact the server previews and reads the chosen one's evidence", async () => {
    const read = vi.spyOn(risk, "preview").mockImplementation(async (_i, a) => (a === "mac" ? preview("mac", "from the pkg") : preview("win", "from the msi")) as never);
    const assess = vi.spyOn(risk, "assess").mockResolvedValue({ id: "r1", score: 10 } as never);
    renderPart(<RiskAssessForm intent={INTENT} onDone={vi.fn()} />);
    const choice = await screen.findByRole("group", { name: "Evidence from the artifact" });
    const windows = screen.getByRole("radio", { name: /notes-2\.0\.msi/ });
    const mac = screen.getByRole("radio", { name: /notes-2\.0\.pkg/ });
    expect(choice).toHaveTextContent("notes-2.0.pkg (macOS)");
    expect(choice).not.toHaveTextContent("old.msi");
    expect(windows).toBeChecked();
    expect(screen.getByText("from the msi")).toBeInTheDocument();
    await userEvent.click(mac);
    await waitFor(() => expect(read).toHaveBeenLastCalledWith("i1", "mac"));
    expect(await screen.findByText("from the pkg")).toBeInTheDocument();
    expect(mac).toBeChecked();
    await userEvent.click(screen.getByLabelText(/Runs only as the signed-in user/));
    await userEvent.type(screen.getByLabelText(/Why this option/), "Runs as the user only.");
    await userEvent.click(screen.getByRole("button", { name: "Record the assessment" }));
    expect(assess).toHaveBeenCalledWith("i1", { privilege_impact: { option: "user_context", justification: "Runs as the user only." } }, "mac");
  });

  it("asks nothing when the version has one artifact", async () => {
    vi.spyOn(api.versions, "list").mockResolvedValue({ next: null, previous: null, results: [{ id: "v2", version: "2.0.0", artifacts: [artifact("win", "a.msi", "windows")] }] } as never);
    vi.spyOn(risk, "preview").mockResolvedValue(preview("win", "from the msi") as never);
    renderPart(<RiskAssessForm intent={INTENT} onDone={vi.fn()} />);
    await screen.findByText("from the msi");
    expect(screen.queryByRole("group", { name: "Evidence from the artifact" })).toBeNull();
  });
});
