import { describe, expect, it } from "vitest";
import { OVERLOAD_RETRIES, retryingOverload } from "./client";

function answer(status: number, retryAfter?: string): Response {
  const headers = new Headers({ "Content-Type": "application/problem+json" });
  if (retryAfter !== undefined) headers.set("Retry-After", retryAfter);
  return new Response(JSON.stringify({ status, code: status === 503 ? "overloaded" : "throttled" }), { status, headers });
}

function scripted(...responses: Response[]) {
  const seen: string[] = [];
  const fetch = async (input: Request) => {
    seen.push(`${input.method} ${await input.clone().text()}`);
    const next = responses.shift();
    if (!next) throw new Error("no more answers");
    return next;
  };
  return { fetch, seen };
}

describe("retryingOverload", () => {
  it("sends a refused POST again, body intact, after the Retry-After the server asked for", async () => {
    const { fetch, seen } = scripted(answer(503, "1"), new Response("{}", { status: 201 }));
    const waits: number[] = [];
    const send = retryingOverload(fetch, async (ms) => waits.push(ms));
    const res = await send(new Request("http://x/api/v1/intents/", { method: "POST", body: '{"a":1}' }));
    expect(res.status).toBe(201);
    expect(seen).toEqual(['POST {"a":1}', 'POST {"a":1}']);
    expect(waits).toEqual([1000]);
  });

  it("gives up after its retries and returns the last refusal", async () => {
    const { fetch, seen } = scripted(...Array.from({ length: OVERLOAD_RETRIES + 1 }, () => answer(503, "30")));
    const waits: number[] = [];
    const res = await retryingOverload(fetch, async (ms) => waits.push(ms))(new Request("http://x/"));
    expect(res.status).toBe(503);
    expect(seen).toHaveLength(OVERLOAD_RETRIES + 1);
    expect(waits).toEqual(Array(OVERLOAD_RETRIES).fill(5000)); // capped: a person is waiting
  });

  it("passes a 429 and a 503 without Retry-After straight through", async () => {
    for (const r of [answer(429, "60"), answer(503)]) {
      const { fetch, seen } = scripted(r);
      const res = await retryingOverload(fetch, async () => undefined)(new Request("http://x/"));
      expect(res.status).toBe(r.status);
      expect(seen).toHaveLength(1);
    }
  });
});
