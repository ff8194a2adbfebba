import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AppRoutes } from "../App";
import { api, type Intent } from "../api/client";
import { ApiProblem } from "../api/problem";
import { SessionProvider } from "../auth/session";
import { emptyDraft, labelFor, toWriteBody } from "../lib/intentDraft";

const APP_ID = "11111111-1111-1111-1111-111111111111";

function renderAt(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <SessionProvider>
          <AppRoutes />
        </SessionProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  vi.spyOn(api, "session").mockResolvedValue({
    authenticated: true,
    user: {
      id: "3",
      username: "publisher",
      kind: "user", time_zone: "UTC",
      roles: [{ role: "publisher", boundary: "acme", business_units: ["finance"] }],
    },
  });
  vi.spyOn(api.applications, "list").mockResolvedValue([
    {
      id: APP_ID,
      name: "SAP GUI",
      vendor: "SAP",
      category: "business",
      boundary: "acme",
      business_units: ["finance"],
      version_count: 1,
      updated_at: "2026-01-01T00:00:00Z",
    } as never,
  ]);
  vi.spyOn(api.versions, "list").mockResolvedValue({
    next: null,
    previous: null,
    results: [{ id: "v1", application: APP_ID, version: "8.0.11", created_by: "packager", artifacts: [] } as never],
  });
  vi.spyOn(api.ringPolicies, "list").mockResolvedValue([]);
});

describe("the intent form", () => {
  it("shows each problem detail error inline and in a summary that takes focus", async () => {
    const create = vi.spyOn(api.intents, "create").mockRejectedValue(
      new ApiProblem({
        type: "urn:fleetgate:problem:validation-error",
        title: "The request is not valid",
        status: 400,
        detail: "The input is not valid; fix the listed fields and retry.",
        code: "validation-error",
        correlation_id: "c1",
        errors: [
          { field: "title", rule: "required", message: "Give the intent a title." },
          { field: "ring_plan[1].device_count", rule: "range", message: "device_count must be a whole number from 1." },
          { field: "ring_plan", rule: "ring-order", message: "Rings must appear once each, in order." },
        ],
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderAt("/intents/new");
    await screen.findByRole("heading", { level: 1, name: "New intent" });
    await user.type(screen.getByLabelText("Name (unique slug)"), "sap-finance");
    await waitFor(() => expect(screen.getByRole("option", { name: /SAP GUI/ })).toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText("Application"), APP_ID);
    await waitFor(() => expect(screen.getByRole("option", { name: "8.0.11" })).toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText("Version"), "8.0.11");
    // The application's boundary and its one business unit in the publisher's grant are preselected.
    expect(screen.getByLabelText("Boundary")).toHaveValue("acme");
    expect(screen.getByLabelText("Business unit")).toHaveValue("finance");
    const step1 = screen.getByRole("group", { name: /^Step 1/ });
    await user.type(within(step1).getByLabelText("Target group"), "FG-LAB");
    await user.type(within(step1).getByLabelText("Devices"), "8");
    await user.click(screen.getByRole("button", { name: "Add ring (Canary)" }));
    // Focus moved to the new step.
    expect(document.activeElement?.id).toBe("f-ring_plan-1-ring");
    const step2 = screen.getByRole("group", { name: /^Step 2/ });
    await user.type(within(step2).getByLabelText("Target group"), "FG-CANARY");
    await user.type(within(step2).getByLabelText("Devices"), "lots");
    await user.click(screen.getByRole("button", { name: "Create draft" }));

    const summary = await screen.findByRole("alert");
    expect(summary).toHaveTextContent("Fix 3 problems");
    expect(document.activeElement).toBe(summary);
    expect(within(summary).getByRole("link", { name: "Ring plan step 2: devices" })).toHaveAttribute(
      "href",
      "#f-ring_plan-1-device_count",
    );
    const devices = within(step2).getByLabelText("Devices");
    expect(devices).toHaveAttribute("aria-invalid", "true");
    expect(devices).toHaveAccessibleDescription(/whole number from 1/);
    expect(screen.getByLabelText("Title")).toHaveAccessibleDescription("Give the intent a title.");
    expect(screen.getByRole("group", { name: "Ring plan" })).toHaveAccessibleDescription(/in order/);

    const body = create.mock.calls[0]?.[0];
    expect(body?.ring_plan).toEqual([
      { ring: "lab", target_group: "FG-LAB", device_count: 8 },
      { ring: "canary", target_group: "FG-CANARY", device_count: "lots" },
    ]);
    expect(body?.application).toBe(APP_ID);
  });

  it("edits a draft with If-Match and shows a stale-ETag refusal plainly", async () => {
    const intent = {
      id: "i1",
      name: "sap-finance",
      title: "SAP for finance",
      change_reason: "",
      application: APP_ID,
      application_name: "SAP GUI",
      version: "8.0.11",
      target_boundary: "acme",
      target_business_unit: "finance",
      target_site_classes: ["online"],
      ring_plan: [{ ring: "lab", target_group: "FG-LAB", device_count: 8 }],
      rollback_plan: { strategy: "uninstall" },
      ring_policy: "1.0",
      state: "draft",
      publisher: "publisher",
      etag: '"i1.4"',
      target_devices: 8,
      allowed_actions: ["update", "submit", "cancel"],
    } as unknown as Intent;
    vi.spyOn(api.intents, "get").mockResolvedValue(intent);
    const update = vi.spyOn(api.intents, "update").mockRejectedValue(
      new ApiProblem({
        type: "urn:fleetgate:problem:stale-etag",
        title: "The resource changed since you read it",
        status: 412,
        detail: "Intent changed since you read it (now revision 5); fetch it again and reapply.",
        code: "stale-etag",
        correlation_id: "c2",
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderAt("/intents/i1/edit");
    const title = await screen.findByLabelText("Title");
    expect(title).toHaveValue("SAP for finance");
    await user.clear(title);
    await user.type(title, "SAP GUI for finance");
    await user.click(screen.getByRole("button", { name: "Save draft" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("changed since you read it");
    expect(screen.getByRole("button", { name: /Reload the latest version/ })).toBeInTheDocument();
    expect(update).toHaveBeenCalledWith("i1", '"i1.4"', expect.objectContaining({ title: "SAP GUI for finance" }));
    // Name and application are fixed once created; the PATCH never sends them.
    const sent = update.mock.calls[0]?.[2] as Record<string, unknown>;
    expect(sent).not.toHaveProperty("name");
    expect(sent).not.toHaveProperty("application");
  });

  it("refuses the form to someone who is not a publisher", async () => {
    vi.spyOn(api, "session").mockResolvedValue({
      authenticated: true,
      user: { id: "9", username: "cab", kind: "user", time_zone: "UTC", roles: [{ role: "cab_approver", boundary: "*", business_units: ["*"] }] },
    });
    renderAt("/intents/new");
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Not available to you");
  });
});

describe("form helpers", () => {
  it("labels problem paths in words", () => {
    expect(labelFor("ring_plan[0].device_count")).toBe("Ring plan step 1: devices");
    expect(labelFor("ring_plan[2].target_group")).toBe("Ring plan step 3: target group");
    expect(labelFor("ring_plan[1]")).toBe("Ring plan step 2");
    expect(labelFor("target_site_classes[0]")).toBe("Site classes");
    expect(labelFor("rollback_plan.rollback_version")).toBe("Roll back to version");
    expect(labelFor("something_new")).toBe("something_new");
  });
  it("sends whole numbers as numbers and a blank rollback version as null", () => {
    const draft = { ...emptyDraft(), ring_plan: [{ key: 1, ring: "lab", target_group: "G", device_count: " 12 " }] };
    const body = toWriteBody(draft);
    expect(body.ring_plan[0]?.device_count).toBe(12);
    expect(body.rollback_plan.rollback_version).toBeNull();
    expect(toWriteBody({ ...draft, ring_plan: [{ key: 2, ring: "lab", target_group: "G", device_count: "" }] }).ring_plan[0]?.device_count).toBeNull();
  });
});
