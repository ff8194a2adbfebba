import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiProblem } from "./problem";
import { CSRF_HEADER, CORRELATION_HEADER, uploadWithProgress } from "./client";

/** A stand-in XMLHttpRequest that records what was sent and answers as told. */
class FakeXhr {
  static last: FakeXhr;
  headers: Record<string, string> = {};
  method = "";
  url = "";
  body: FormData | null = null;
  status = 0;
  responseText = "";
  withCredentials = false;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  getResponseHeader(k: string) {
    return k === CORRELATION_HEADER ? "corr-from-server" : null;
  }
  send(body: FormData) {
    this.body = body;
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

afterEach(() => vi.unstubAllGlobals());

describe("a streamed upload", () => {
  it("sends the form with CSRF and correlation headers and reports progress", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const progress: number[] = [];
    const done = uploadWithProgress<{ sha256: string }>("/api/v1/artifacts/", { version: "v1", file: new File(["x"], "a.msi") }, (f) => progress.push(f), () => "csrftoken=tok", new Set());
    const xhr = FakeXhr.last;
    expect(xhr.method).toBe("POST");
    expect(xhr.headers[CSRF_HEADER]).toBe("tok");
    expect(xhr.headers[CORRELATION_HEADER]).toMatch(/.+/);
    expect(xhr.body?.get("version")).toBe("v1");
    expect((xhr.body?.get("file") as File).name).toBe("a.msi");
    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 25, total: 100 });
    xhr.answer(201, { sha256: "abc" });
    await expect(done).resolves.toEqual({ sha256: "abc" });
    expect(progress).toEqual([0.25, 1]);
  });

  it("turns a refusal into a problem and a 401 into an expired session", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const expired = vi.fn();
    const refused = uploadWithProgress("/api/v1/evidence/", {}, () => undefined, () => "", new Set([expired]));
    FakeXhr.last.answer(422, { type: "about:blank", status: 422, code: "evidence-invalid", title: "The evidence file is not valid", detail: "bad", errors: [{ field: "f:$.result", rule: "missing", message: "Field required" }] });
    const problem = await refused.catch((e: unknown) => e);
    expect(problem).toBeInstanceOf(ApiProblem);
    expect((problem as ApiProblem).code).toBe("evidence-invalid");
    expect((problem as ApiProblem).correlationId).toBe("corr-from-server");
    expect(expired).not.toHaveBeenCalled();
    const gone = uploadWithProgress("/api/v1/evidence/", {}, () => undefined, () => "", new Set([expired]));
    FakeXhr.last.answer(401, { type: "about:blank", status: 401, code: "not-authenticated", title: "Sign in", detail: "" });
    await expect(gone).rejects.toBeInstanceOf(ApiProblem);
    expect(expired).toHaveBeenCalledTimes(1);
  });
});
