import { describe, expect, it, vi } from "vitest";
import { ApiProblem } from "./problem";
import { createApi, parseSse } from "./client";

const ANSWER = { interaction: "i", feature: "explain_risk", text: "Hello world", citations: [], draft: {}, provider: "offline", model: "m", tokens_in: 1, tokens_out: 2, scrubbed: {} };
const sse = (...events: [string, unknown][]) => events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");

function apiReturning(response: Response) {
  const seen: Request[] = [];
  const fetch = vi.fn(async (req: Request) => {
    seen.push(req.clone());
    return response;
  });
  return { api: createApi({ baseUrl: "http://fleetgate.test", fetch, cookies: () => "csrftoken=tok" }), seen };
}

describe("server-sent events", () => {
  it("splits complete events and keeps the unfinished rest", () => {
    const { events, rest } = parseSse('event: delta\ndata: {"text":"a"}\n\nevent: delta\r\ndata: {"te');
    expect(events).toEqual([{ event: "delta", data: '{"text":"a"}' }]);
    expect(rest).toBe('event: delta\ndata: {"te');
  });

  it("streams an assistant answer: deltas, then the answer, with CSRF and stream: true", async () => {
    const body = sse(["delta", { text: "Hello " }], ["delta", { text: "world" }], ["answer", ANSWER]);
    const { api, seen } = apiReturning(new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } }));
    const deltas: string[] = [];
    const answer = await api.assistant.stream("explain-risk", { intent_id: "x" }, (t) => deltas.push(t));
    expect(deltas).toEqual(["Hello ", "world"]);
    expect(answer.text).toBe("Hello world");
    expect(seen[0]!.url).toBe("http://fleetgate.test/api/v1/assistant/explain-risk/");
    expect(seen[0]!.headers.get("X-CSRFToken")).toBe("tok");
    expect(await seen[0]!.json()).toEqual({ intent_id: "x", stream: true });
  });

  it("turns an error event and a refused request into problems", async () => {
    const { api } = apiReturning(new Response(sse(["error", { type: "not-found", title: "Not found", status: 404, detail: "No intent x." }])));
    await expect(api.assistant.stream("draft-cab-note", { intent_id: "x" }, () => undefined)).rejects.toMatchObject({
      status: 404,
      code: "not-found",
      detail: "No intent x.",
    });
    const refused = apiReturning(
      new Response(JSON.stringify({ type: "urn:x", title: "Forbidden", status: 403, code: "forbidden", detail: "No.", correlation_id: "c" }), {
        status: 403,
        headers: { "Content-Type": "application/problem+json" },
      }),
    );
    const err = await refused.api.assistant.stream("ask", { question: "?" }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiProblem);
    expect((err as ApiProblem).code).toBe("forbidden");
  });
});
