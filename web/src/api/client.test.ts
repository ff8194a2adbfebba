import { describe, expect, it, vi } from "vitest";
import { ApiProblem } from "./problem";
import { compact, createApi, CORRELATION_HEADER, cursorOf, newCorrelationId, readCookie } from "./client";

type Handler = (req: Request) => Response | Promise<Response>;

function fakeServer(handler: Handler) {
  const seen: Request[] = [];
  const fetch = vi.fn(async (req: Request) => {
    seen.push(req.clone());
    return handler(req);
  });
  return { fetch, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });

const problem = (status: number, code: string, extra: object = {}) =>
  json(status, { type: `urn:fleetgate:problem:${code}`, title: code, status, detail: `${code}!`, code, correlation_id: "srv", ...extra });

function apiWith(handler: Handler, cookies = "csrftoken=tok123; sessionid=s") {
  const server = fakeServer(handler);
  const api = createApi({ baseUrl: "http://fleetgate.test", fetch: server.fetch, cookies: () => cookies });
  return { api, ...server };
}

describe("the API client", () => {
  it("sends a fresh correlation id on every request", async () => {
    const { api, seen } = apiWith(() => json(200, []));
    await api.applications.list();
    await api.applications.list();
    const ids = seen.map((r) => r.headers.get(CORRELATION_HEADER));
    expect(ids[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("sends the CSRF token on unsafe methods only", async () => {
    const { api, seen } = apiWith((req) =>
      req.method === "GET" ? json(200, { authenticated: false, user: null }) : json(200, { ok: true, checked: 1 }),
    );
    await api.session();
    await api.ledger.verify();
    expect(seen[0]?.headers.get("X-CSRFToken")).toBeNull();
    expect(seen[1]?.method).toBe("POST");
    expect(seen[1]?.headers.get("X-CSRFToken")).toBe("tok123");
  });

  it("sends If-Match with the ETag on update, submit and cancel", async () => {
    const { api, seen } = apiWith(() => json(200, { id: "i1" }));
    await api.intents.update("i1", '"i1.3"', { title: "x", change_reason: "" });
    await api.intents.submit("i1", '"i1.4"');
    await api.intents.cancel("i1", '"i1.5"', "because");
    expect(seen.map((r) => [r.method, new URL(r.url).pathname, r.headers.get("If-Match")])).toEqual([
      ["PATCH", "/api/v1/intents/i1/", '"i1.3"'],
      ["POST", "/api/v1/intents/i1/submit/", '"i1.4"'],
      ["POST", "/api/v1/intents/i1/cancel/", '"i1.5"'],
    ]);
    expect(await seen[2]?.json()).toEqual({ reason: "because" });
  });

  it("drops empty filters and serialises arrays as repeated parameters", async () => {
    const { api, seen } = apiWith(() => json(200, { next: null, previous: null, results: [] }));
    await api.intents.list({ q: "", state: ["draft", "submitted"], ring: "lab", business_unit: undefined });
    const url = new URL(seen[0]?.url ?? "");
    expect(url.searchParams.getAll("state")).toEqual(["draft", "submitted"]);
    expect(url.searchParams.get("ring")).toBe("lab");
    expect(url.searchParams.has("q")).toBe(false);
  });

  it("maps problem details to ApiProblem with field errors", async () => {
    const { api } = apiWith(() =>
      problem(400, "validation-error", { errors: [{ field: "ring_plan[0].device_count", rule: "range", message: "too small" }] }),
    );
    const error = await api.intents.create({} as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiProblem);
    const p = error as ApiProblem;
    expect(p.status).toBe(400);
    expect(p.fieldErrors().get("ring_plan[0].device_count")).toEqual(["too small"]);
  });

  it("reports 403 and 409 with their stable codes", async () => {
    for (const [status, code] of [
      [403, "scope-violation"],
      [409, "active-change-conflict"],
      [412, "stale-etag"],
    ] as const) {
      const { api } = apiWith(() => problem(status, code));
      const p = (await api.intents.submit("i", "e").catch((e: unknown) => e)) as ApiProblem;
      expect([p.status, p.code]).toEqual([status, code]);
    }
  });

  it("announces an expired session on a 401 from a data endpoint, not from sign-in", async () => {
    const { api } = apiWith(() => problem(401, "not-authenticated"));
    const listener = vi.fn();
    const off = api.onSessionExpired(listener);
    await api.dashboard().catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
    await api.login({ username: "a", password: "b" }).catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
    off();
    await api.dashboard().catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it("turns a network failure into an ApiProblem", async () => {
    const { api } = apiWith(() => {
      throw new TypeError("Failed to fetch");
    });
    const p = (await api.dashboard().catch((e: unknown) => e)) as ApiProblem;
    expect(p).toBeInstanceOf(ApiProblem);
    expect(p.code).toBe("network-error");
  });

  it("reads the intent history whether the server pages it or not", async () => {
    const event = { sequence: 1, action: "intent.created" };
    const list = apiWith(() => json(200, [event]));
    expect(await list.api.intents.history("i")).toEqual([event]);
    const paged = apiWith(() => json(200, { next: null, previous: null, results: [event] }));
    expect(await paged.api.intents.history("i")).toEqual([event]);
  });

  it("returns no body for 204 (sign out)", async () => {
    const { api } = apiWith(() => new Response(null, { status: 204 }));
    await expect(api.logout()).resolves.toBeUndefined();
  });
});

describe("client helpers", () => {
  it("reads cookies", () => {
    expect(readCookie("csrftoken", "a=1; csrftoken=x%3Dy; b=2")).toBe("x=y");
    expect(readCookie("csrftoken", "a=1")).toBeUndefined();
  });
  it("extracts the cursor from a DRF link", () => {
    expect(cursorOf("http://h/api/v1/ledger/?cursor=cD00ODY%3D&page_size=50")).toBe("cD00ODY=");
    expect(cursorOf(null)).toBeNull();
    expect(cursorOf("http://h/api/v1/ledger/")).toBeNull();
  });
  it("compacts queries", () => {
    expect(compact({ a: "", b: "x", c: [], d: ["y"], e: undefined, f: 0 })).toEqual({ b: "x", d: ["y"], f: 0 });
  });
  it("makes unique correlation ids", () => {
    const ids = new Set(Array.from({ length: 100 }, newCorrelationId));
    expect(ids.size).toBe(100);
  });
});
