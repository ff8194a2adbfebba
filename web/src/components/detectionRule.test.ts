import { describe, expect, it } from "vitest";
import { detectionRule } from "./EvidencePackViewer";

describe("detection rules in a pack's summary", () => {
  it("are shown by kind in words and what they look for, never the rule's code", () => {
    expect(detectionRule({ type: "product_code", product_code: "{23170F69-40C1-2702-2409-000001000000}" })).toBe(
      "MSI product code {23170F69-40C1-2702-2409-000001000000}",
    );
    expect(detectionRule({ type: "macos_bundle", bundle_id: "us.zoom.xos", bundle_version: "6.2.0" })).toBe(
      "macOS app bundle us.zoom.xos 6.2.0",
    );
    expect(detectionRule({ type: "file", path: "C:\\Program Files\\7-Zip\\7z.exe" })).toBe("File C:\\Program Files\\7-Zip\\7z.exe");
    expect(detectionRule({ type: "script", script: "x" })).toBe("Detection script");
  });
});
