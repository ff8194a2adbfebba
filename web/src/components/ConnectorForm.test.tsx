import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { api, type Connector } from "../api/client";
import { renderPart } from "../test/app";
import { ConnectorForm } from "./ConnectorForm";

describe("ConnectorForm", () => {
  it("asks a Jamf user-account connector for the user and password, in words, and sends only those", async () => {
    const create = vi.spyOn(api.connectors, "create").mockResolvedValue({ id: "c1" } as Connector);
    renderPart(<ConnectorForm onSaved={() => undefined} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Plane"), "jamf");
    expect(screen.getByLabelText("API client ID")).toBeTruthy();
    await user.selectOptions(screen.getByLabelText("Sign-in"), "user");
    expect(screen.queryByLabelText("API client ID")).toBeNull();
    await user.type(screen.getByLabelText("Name (a slug)"), "jamf-main");
    await user.type(screen.getByLabelText("Base URL"), "https://jamf.example.com");
    await user.type(screen.getByLabelText("User name"), "svc-fleetgate");
    await user.type(screen.getByLabelText(/^Password/), "pw");
    await user.click(screen.getByRole("button", { name: "Add connector" }));
    expect(create).toHaveBeenCalledWith(
      expect.objectContaining({ kind: "jamf", settings: { auth: "user", username: "svc-fleetgate" }, secrets: { password: "pw" } }),
    );
  });

  it("takes Landscape's package signing key as a multi-line secret and leaves empty optional settings out", async () => {
    const create = vi.spyOn(api.connectors, "create").mockResolvedValue({ id: "c2" } as Connector);
    renderPart(<ConnectorForm onSaved={() => undefined} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Plane"), "landscape");
    const key = screen.getByLabelText(/^Package upload signing key/);
    expect(key.tagName).toBe("TEXTAREA");
    await user.type(screen.getByLabelText("Name (a slug)"), "ls");
    await user.type(screen.getByLabelText("Base URL"), "https://landscape.example.com");
    await user.type(screen.getByLabelText("API access key"), "AK");
    await user.type(screen.getByLabelText(/^API secret key/), "SK");
    await user.type(key, "-----BEGIN PGP PRIVATE KEY BLOCK-----{Enter}abc");
    await user.click(screen.getByRole("button", { name: "Add connector" }));
    const body = create.mock.calls[0]?.[0] as { settings: object; secrets: Record<string, string> };
    expect(body.settings).toEqual({ access_key_id: "AK" });
    expect(body.secrets.secret_key).toBe("SK");
    expect(body.secrets.upload_key).toContain("\nabc");
  });
});
