import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../api/problem";
import { type SiemDestination, siem, streamWords } from "../api/siem";
import { SiemDestinationEditForm } from "../components/SiemDestinationEditForm";
import { SiemDestinationForm } from "../components/SiemDestinationForm";

const row = (over: Partial<SiemDestination>): SiemDestination =>
  ({ enabled: true, consecutive_failures: 0, lag: 0, acknowledged_sequence: 10, ...over }) as SiemDestination;

describe("a destination's status in words", () => {
  it("says caught up, behind, failing or paused", () => {
    expect(streamWords(row({}))).toBe("Caught up.");
    expect(streamWords(row({ lag: 1 }))).toBe("1 event to send.");
    expect(streamWords(row({ lag: 7 }))).toBe("7 events to send.");
    expect(streamWords(row({ lag: 7, consecutive_failures: 3 }))).toBe("Failing (3 in a row); retries with backoff.");
    expect(streamWords(row({ enabled: false, lag: 7 }))).toBe("Paused at sequence 10; resumes from there.");
  });
});

describe("adding a destination", () => {
  it("asks for what the kind needs: TLS trust for TLS, a format for syslog, a token and path for HTTPS", () => {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <SiemDestinationForm onCreated={() => undefined} />
      </QueryClientProvider>,
    );
    const kind = screen.getByLabelText("Kind");
    expect((screen.getByLabelText("Port") as HTMLInputElement).value).toBe("6514");
    expect(screen.getByLabelText("CA certificate (PEM)")).toBeTruthy();
    expect(screen.getByLabelText("Format")).toBeTruthy();
    fireEvent.change(kind, { target: { value: "syslog-tcp" } });
    expect((screen.getByLabelText("Port") as HTMLInputElement).value).toBe("514");
    expect(screen.queryByLabelText("CA certificate (PEM)")).toBeNull();
    fireEvent.change(kind, { target: { value: "https-hec" } });
    expect((screen.getByLabelText("Port") as HTMLInputElement).value).toBe("8088");
    expect(screen.queryByLabelText("Format")).toBeNull();
    expect(screen.getByLabelText("HEC token")).toBeTruthy();
    expect(screen.getByLabelText("Path")).toBeTruthy();
  });
});

describe("editing a destination", () => {
  const HEC = {
    id: 7,
    name: "soc-splunk",
    kind: "https-hec",
    host: "splunk.example",
    port: 8088,
    path: "/services/collector/event",
    format: "json",
    tls_verify: true,
    tls_ca_pem: "",
    tls_server_name: "",
    tls_client_cert_pem: "",
    secret_names: ["token"],
    batch_size: 200,
    etag: '"7.3"',
  } as unknown as SiemDestination;

  function edit(d: SiemDestination, onSaved = vi.fn()) {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <SiemDestinationEditForm destination={d} onSaved={onSaved} onCancel={() => undefined} />
      </QueryClientProvider>,
    );
    return onSaved;
  }
  afterEach(() => vi.restoreAllMocks());

  it("starts from the stored values, never shows a secret, and sends only a secret typed in", async () => {
    const update = vi.spyOn(siem, "update").mockResolvedValue({ ...HEC, port: 8089 } as never);
    const onSaved = edit(HEC);
    expect(screen.getByRole("heading", { name: "Edit “soc-splunk”" })).toHaveFocus();
    expect((screen.getByLabelText("Host") as HTMLInputElement).value).toBe("splunk.example");
    const token = screen.getByLabelText("New HEC token") as HTMLInputElement;
    expect(token.value).toBe("");
    expect(token.type).toBe("password");
    expect(token).toHaveAccessibleDescription(/Leave empty to keep it/);
    expect(screen.queryByLabelText("Format")).toBeNull();
    const port = screen.getByLabelText("Port");
    await userEvent.clear(port);
    await userEvent.type(port, "8089");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(update).toHaveBeenCalledWith(7, '"7.3"', expect.not.objectContaining({ secrets: expect.anything() }));
    expect(update.mock.calls[0]?.[2]).toMatchObject({ host: "splunk.example", port: 8089, path: "/services/collector/event", batch_size: 200 });
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    await userEvent.type(token, "new-token");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(update.mock.calls[1]?.[2]).toMatchObject({ secrets: { token: "new-token" } });
  });

  it("puts the server's errors on the fields", async () => {
    const refused = new ApiProblem({
      type: "urn:x",
      title: "The request is not valid",
      status: 400,
      code: "validation-error",
      detail: "Fix the listed fields.",
      correlation_id: "c",
      errors: [
        { field: "host", rule: "hostname", message: "Give a host name or IP address." },
        { field: "secrets.client_key_pem", rule: "pem-private-key", message: "Paste the unencrypted client key in PEM form." },
      ],
    });
    vi.spyOn(siem, "update").mockRejectedValue(refused);
    edit({ ...HEC, kind: "syslog-tls", format: "cef", path: "", secret_names: [] } as unknown as SiemDestination);
    expect(screen.getByLabelText("Format")).toBeTruthy();
    expect(screen.queryByLabelText(/token/)).toBeNull();
    expect(screen.getByLabelText("New client key (PEM)")).toHaveAccessibleDescription(/None is stored yet/);
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByLabelText("Host")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Host")).toHaveAccessibleDescription(/Give a host name/);
    expect(screen.getByLabelText("New client key (PEM)")).toHaveAccessibleDescription(/Paste the unencrypted client key/);
    expect(screen.getByRole("alert")).toHaveTextContent("see the marked fields");
  });
});
