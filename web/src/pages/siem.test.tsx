import { fireEvent, render, screen } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { type SiemDestination, streamWords } from "../api/siem";
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
