import { describe, expect, it } from "vitest";
import { ApiProblem, isApiProblem, networkProblem, toProblem } from "./problem";

const body = {
  type: "urn:fleetgate:problem:validation-error",
  title: "The request is not valid",
  status: 400,
  detail: "Fix these fields and retry: ring_plan[1].device_count, title.",
  code: "validation-error",
  correlation_id: "cid-1",
  errors: [
    { field: "title", rule: "required", message: "Give the intent a title." },
    { field: "ring_plan[1].device_count", rule: "range", message: "device_count must be a whole number." },
    { field: "title", rule: "max_length", message: "Too long." },
  ],
  conflicting_intent: "abc",
};

describe("ApiProblem", () => {
  it("keeps every RFC 9457 field and the extras", () => {
    const p = toProblem(400, body, "header-cid");
    expect(p).toBeInstanceOf(ApiProblem);
    expect(isApiProblem(p)).toBe(true);
    expect(p.status).toBe(400);
    expect(p.code).toBe("validation-error");
    expect(p.title).toBe("The request is not valid");
    expect(p.message).toBe(body.detail);
    expect(p.correlationId).toBe("cid-1");
    expect(p.extra).toEqual({ conflicting_intent: "abc" });
  });

  it("groups field errors by path", () => {
    const errors = toProblem(400, body, "").fieldErrors();
    expect(errors.get("title")).toEqual(["Give the intent a title.", "Too long."]);
    expect(errors.get("ring_plan[1].device_count")).toHaveLength(1);
  });

  it("falls back to the header's correlation id", () => {
    expect(toProblem(409, { ...body, correlation_id: "" }, "from-header").correlationId).toBe("from-header");
  });

  it("turns an HTML error page into a problem with a sensible title", () => {
    const p = toProblem(502, "<html><body>Bad gateway</body></html>", "cid");
    expect(p.title).toBe("The server is unreachable");
    expect(p.code).toBe("server-error");
    expect(p.detail).toContain("502");
    expect(p.errors).toEqual([]);
  });

  it("keeps a short plain-text body as the detail", () => {
    expect(toProblem(403, "CSRF Failed", "").detail).toBe("CSRF Failed");
    expect(toProblem(418, undefined, "").title).toBe("HTTP 418");
  });

  it("describes network failures", () => {
    const p = networkProblem(new TypeError("Failed to fetch"), "cid");
    expect(p.status).toBe(0);
    expect(p.code).toBe("network-error");
    expect(p.detail).toContain("Failed to fetch");
  });
});
