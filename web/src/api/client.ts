/**
 * The ONE module that talks to the Fleetgate API. Everything else calls `api.*`.
 *
 * - Auth is the Django session cookie (same origin); GET /auth/session/ also sets `csrftoken`.
 * - Unsafe methods carry `X-CSRFToken` from that cookie.
 * - Every request carries a fresh `X-Correlation-ID`, which the server echoes and records in the
 *   ledger, so a person can quote it.
 * - Every failure becomes an `ApiProblem` (RFC 9457), including network failures and non-JSON
 *   error pages. A 401 outside the auth endpoints announces an expired session.
 */
import createClient, { type Middleware } from "openapi-fetch";
import { ApiProblem, networkProblem, toProblem } from "./problem";
import type { components, operations, paths } from "./schema";

export type Schemas = components["schemas"];
export type Application = Schemas["Application"];
export type Version = Schemas["Version"];
export type Artifact = Schemas["Artifact"];
export type Intent = Schemas["Intent"];
export type IntentWrite = Schemas["IntentWriteRequest"];
export type IntentUpdate = Schemas["PatchedIntentUpdateRequest"];
export type IntentBrief = Schemas["IntentBrief"];
// Derived from fields, not enum component names (drf-spectacular renames those on collisions).
export type IntentState = NonNullable<Intent["state"]>;
export type LedgerEvent = Schemas["LedgerEvent"];
export type VerifyResult = Schemas["VerifyResult"];
export type Session = Schemas["Session"];
export type Me = Schemas["Me"];
export type RoleGrant = Schemas["RoleGrant"];
export type RoleName = RoleGrant["role"];
export type User = Schemas["User"];
export type Token = Schemas["Token"];
export type TokenCreated = Schemas["TokenCreated"];
export type Dashboard = Schemas["Dashboard"];
export type RingPolicy = Schemas["RingPolicy"];
export type CabRequest = Schemas["CabRequest"];
export type CabDecision = Schemas["Decision"];
export type CabReview = Schemas["Review"];
export type Conditions = NonNullable<Schemas["ConditionalRequest"]["conditions"]>;
export type RiskAssessment = Schemas["Assessment"];
export type EvidencePack = Schemas["Pack"];
export type PackVerifyReport = Schemas["VerifyReport"];
export type SbomComponent = Schemas["Component"];
export type PolicyException = Schemas["Exception"];
export type TrustedKey = Schemas["TrustedKey"];
export type TrustedKeyWrite = Schemas["TrustedKeyWriteRequest"];
export type ExceptionWrite = Schemas["ExceptionWriteRequest"];
export type BreakGlass = Schemas["BreakGlass"];
export type Connector = Schemas["Connector"];
export type CheckResult = Schemas["CheckResult"];
export type Rollout = Schemas["Rollout"];
export type RolloutBrief = Schemas["RolloutBrief"];
export type RolloutStatus = NonNullable<Rollout["status"]>;
export type RingRun = Schemas["RingRun"];
export type RolloutTarget = RingRun["targets"][number];
export type GateResult = RingRun["gates"][number];
export type RolloutPlan = Schemas["Plan"];
export type Job = Schemas["Job"];
export type RolloutAction = "pause" | "resume" | "halt" | "rollback" | "promote";
export type Incident = Schemas["Incident"];
export type IncidentWrite = Schemas["IncidentWriteRequest"];
export type IncidentQuery = NonNullable<operations["incidents_list"]["parameters"]["query"]>;
export type MaintenanceWindow = Schemas["Window"];
export type WindowWrite = Schemas["WindowWriteRequest"];
export type WindowQuery = NonNullable<operations["maintenance_windows_list"]["parameters"]["query"]>;
export type ChangeFreeze = Schemas["Freeze"];
export type RolloutQuery = NonNullable<operations["rollouts_list"]["parameters"]["query"]>;
export type CabQuery = NonNullable<operations["cab_requests_list"]["parameters"]["query"]>;
export type ComponentQuery = NonNullable<operations["components_list"]["parameters"]["query"]>;
export type ExceptionQuery = NonNullable<operations["exceptions_list"]["parameters"]["query"]>;
export type EvidenceItem = Schemas["Evidence"];
export type EvidenceKind = EvidenceItem["kind"];
export type Page<T> = { next?: string | null; previous?: string | null; results: T[] };
export type Drift = Schemas["Drift"];
export type DriftQuery = NonNullable<operations["drift_list"]["parameters"]["query"]>;
export type DriftSummary = Schemas["DriftSummary"];
export type DriftDecision = "acknowledge" | "resolve" | "accept";
export type ReconcileReport = Schemas["ReconcileReport"];
export type AssistantAnswer = Schemas["Answer"];
export type WebhookTarget = Schemas["Target"];
export type WebhookTargetCreated = Schemas["TargetCreated"];
export type WebhookWrite = Schemas["TargetWriteRequest"];
export type WebhookEvent = NonNullable<WebhookWrite["events"]>[number];
export type WebhookDelivery = Schemas["Delivery"];
export type Notification = Schemas["Notification"];
export type NotificationQuery = NonNullable<operations["notifications_list"]["parameters"]["query"]>;
export type Citation = Schemas["Citation"];
/** The assistant's features, by their URL path under /api/v1/assistant/. */
export type AssistantFeature = "explain-risk" | "summarise-evidence" | "draft-cab-note" | "explain-ring" | "ask";
export type CabSubmissionWrite = Schemas["CabSubmissionWriteRequest"] & { drafted_with?: string | null };
export type AssistantBody = {
  assessment_id?: string;
  pack_id?: string;
  intent_id?: string;
  ring?: string;
  question?: string;
};

export type ApplicationQuery = NonNullable<operations["applications_list"]["parameters"]["query"]>;
export type IntentQuery = NonNullable<operations["intents_list"]["parameters"]["query"]>;
export type LedgerQuery = NonNullable<operations["ledger_list"]["parameters"]["query"]>;
export type VersionQuery = NonNullable<operations["versions_list"]["parameters"]["query"]>;

export const CORRELATION_HEADER = "X-Correlation-ID";
export const CSRF_COOKIE = "csrftoken";
export const CSRF_HEADER = "X-CSRFToken";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function readCookie(name: string, cookies: string): string | undefined {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

export function newCorrelationId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

type ExpiredListener = (problem: ApiProblem) => void;

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Split server-sent events out of a text buffer: complete events (ended by a blank line) and the
 * unfinished rest, to be prefixed to the next chunk.
 */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const text = buffer.replace(/\r\n?/g, "\n");
  const blocks = text.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0 || event !== "message") events.push({ event, data: data.join("\n") });
  }
  return { events, rest };
}

export interface ApiOptions {
  baseUrl: string;
  fetch?: (input: Request) => Promise<Response>;
  /** Where the CSRF cookie is read from (document.cookie in the browser). */
  cookies?: () => string;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** How often, and at most how long, a request the server refused as overloaded is tried again. */
export const OVERLOAD_RETRIES = 2;
const OVERLOAD_MAX_WAIT_S = 5;

/**
 * A fetch that honours the server's overload refusal: a 503 with `Retry-After` (problem `overloaded`) was
 * refused before any work ran, so it is sent again after the wait the server asked for, whatever its
 * method. Everything else passes through unchanged: a 429 is a limit meant for the person, shown as is.
 */
export function retryingOverload(
  base: (input: Request) => Promise<Response>,
  sleep: (ms: number) => Promise<unknown> = (ms) => new Promise((r) => setTimeout(r, ms)),
): (input: Request) => Promise<Response> {
  return async (input) => {
    for (let attempt = 0; ; attempt++) {
      const response = await base(attempt < OVERLOAD_RETRIES ? input.clone() : input);
      const wait = Number(response.headers.get("Retry-After"));
      if (response.status !== 503 || attempt >= OVERLOAD_RETRIES || !Number.isFinite(wait) || wait <= 0) return response;
      await sleep(Math.min(wait, OVERLOAD_MAX_WAIT_S) * 1000);
    }
  };
}

export function createApi(options: ApiOptions) {
  const cookies = options.cookies ?? (() => (typeof document === "undefined" ? "" : document.cookie));
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    credentials: "same-origin",
    fetch: retryingOverload(options.fetch ?? ((input) => globalThis.fetch(input))),
  });
  const expired = new Set<ExpiredListener>();

  const plumbing: Middleware = {
    onRequest({ request }) {
      request.headers.set(CORRELATION_HEADER, newCorrelationId());
      request.headers.set("Accept", "application/json, application/problem+json");
      if (UNSAFE.has(request.method.toUpperCase())) {
        const token = readCookie(CSRF_COOKIE, cookies());
        if (token) request.headers.set(CSRF_HEADER, token);
      }
      return request;
    },
    onError({ request, error }) {
      return networkProblem(error, request.headers.get(CORRELATION_HEADER) ?? "");
    },
  };
  client.use(plumbing);

  /** `auth`: a sign-in endpoint, whose 401 means "wrong credentials", not "session expired". */
  async function call<T>(pending: Promise<Result<T>>, auth = false): Promise<T> {
    let result: Result<T>;
    try {
      result = await pending;
    } catch (error) {
      if (error instanceof ApiProblem) throw error;
      throw networkProblem(error, "");
    }
    const { response } = result;
    if (response.ok) return result.data as T;
    const correlation = response.headers.get(CORRELATION_HEADER) ?? "";
    const problem = toProblem(response.status, result.error, correlation);
    if (problem.status === 401 && !auth) {
      for (const listener of expired) listener(problem);
    }
    throw problem;
  }

  function failed(response: Response, body: unknown): ApiProblem {
    const problem = toProblem(response.status, body, response.headers.get(CORRELATION_HEADER) ?? "");
    if (problem.status === 401) for (const listener of expired) listener(problem);
    return problem;
  }

  /**
   * An assistant feature with `"stream": true`: `delta` events are passed to `onDelta` as they
   * arrive; the `answer` event is the result; an `error` event (or a failed response) is thrown as
   * an ApiProblem. Without a readable body stream it reads the whole response, then parses it.
   */
  async function streamAssistant(
    feature: AssistantFeature,
    body: AssistantBody,
    onDelta: (text: string) => void,
  ): Promise<AssistantAnswer> {
    const correlation = newCorrelationId();
    const headers = new Headers({
      "Content-Type": "application/json",
      Accept: "text/event-stream, application/problem+json",
      [CORRELATION_HEADER]: correlation,
    });
    const token = readCookie(CSRF_COOKIE, cookies());
    if (token) headers.set(CSRF_HEADER, token);
    const request = new Request(`${options.baseUrl}/api/v1/assistant/${feature}/`, {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: JSON.stringify({ ...body, stream: true }),
    });
    let response: Response;
    try {
      response = await (options.fetch ?? globalThis.fetch)(request);
    } catch (error) {
      throw networkProblem(error, correlation);
    }
    if (!response.ok) {
      const raw = await response.text().catch(() => "");
      let parsed: unknown = raw;
      try {
        parsed = JSON.parse(raw);
      } catch {
        /* not JSON: toProblem copes with text */
      }
      throw failed(response, parsed);
    }
    const corr = response.headers.get(CORRELATION_HEADER) ?? correlation;
    let answer: AssistantAnswer | null = null;
    const handle = (e: SseEvent) => {
      const data: unknown = e.data ? JSON.parse(e.data) : {};
      if (e.event === "delta") onDelta(String((data as { text?: string }).text ?? ""));
      else if (e.event === "answer") answer = data as AssistantAnswer;
      else if (e.event === "error") {
        const d = data as { type?: string; title?: string; status?: number; detail?: string };
        throw toProblem(d.status ?? 500, { ...d, code: d.type ?? "assistant-error", correlation_id: corr }, corr);
      }
    };
    const reader = response.body && typeof response.body.getReader === "function" ? response.body.getReader() : null;
    if (reader) {
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
        const { events, rest } = parseSse(done ? `${buffer}\n\n` : buffer);
        buffer = rest;
        events.forEach(handle);
        if (done) break;
      }
    } else {
      parseSse(`${await response.text()}\n\n`).events.forEach(handle);
    }
    if (!answer) throw toProblem(502, "The assistant's answer ended before it was complete.", corr);
    return answer;
  }

  return {
    /** For the API modules beside this one (account.ts, search.ts, …): the typed client and its problem plumbing. */
    typed: client,
    call,
    /** Subscribe to "the session is gone" (a 401 from a data endpoint). Returns an unsubscribe. */
    onSessionExpired(listener: ExpiredListener): () => void {
      expired.add(listener);
      return () => expired.delete(listener);
    },

    session: () => call(client.GET("/api/v1/auth/session/"), true),
    login: (body: Schemas["LoginRequest"]) => call(client.POST("/api/v1/auth/login/", { body }), true),
    logout: () => call(client.POST("/api/v1/auth/logout/"), true),
    me: () => call(client.GET("/api/v1/me/")),
    dashboard: () => call(client.GET("/api/v1/dashboard/")),

    applications: {
      list: (query: ApplicationQuery = {}) =>
        call(client.GET("/api/v1/applications/", { params: { query: compact(query) } })),
      get: (id: string) => call(client.GET("/api/v1/applications/{id}/", { params: { path: { id } } })),
      create: (body: Schemas["ApplicationWriteRequest"]) => call(client.POST("/api/v1/applications/", { body })),
    },
    versions: {
      list: (query: VersionQuery = {}) => call(client.GET("/api/v1/versions/", { params: { query: compact(query) } })),
      create: (body: Schemas["VersionCreateRequest"]) => call(client.POST("/api/v1/versions/", { body })),
      get: (id: string) => call(client.GET("/api/v1/versions/{id}/", { params: { path: { id } } })),
    },
    artifacts: {
      get: (id: string) => call(client.GET("/api/v1/artifacts/{id}/", { params: { path: { id } } })),
      /** A streamed multipart upload; `onProgress` gets the fraction sent (0..1). */
      upload: (
        fields: { version: string; platform: string; format: string; file: File },
        onProgress: (fraction: number) => void,
      ) => uploadWithProgress<Artifact>(`${options.baseUrl}/api/v1/artifacts/`, fields, onProgress, cookies, expired),
    },
    evidence: {
      list: (query: NonNullable<operations["evidence_list"]["parameters"]["query"]> = {}) =>
        call(client.GET("/api/v1/evidence/", { params: { query: compact(query) } })),
      upload: (fields: { artifact: string; kind: EvidenceKind; file: File }, onProgress: (fraction: number) => void) =>
        uploadWithProgress<EvidenceItem>(`${options.baseUrl}/api/v1/evidence/`, fields, onProgress, cookies, expired),
    },

    intents: {
      list: (query: IntentQuery = {}) => call(client.GET("/api/v1/intents/", { params: { query: compact(query) } })),
      get: (id: string) => call(client.GET("/api/v1/intents/{id}/", { params: { path: { id } } })),
      create: (body: IntentWrite) => call(client.POST("/api/v1/intents/", { body })),
      update: (id: string, etag: string, body: IntentUpdate) =>
        call(
          client.PATCH("/api/v1/intents/{id}/", { params: { path: { id }, header: { "If-Match": etag } }, body }),
        ),
      submit: (id: string, etag: string) =>
        call(
          client.POST("/api/v1/intents/{id}/submit/", { params: { path: { id }, header: { "If-Match": etag } } }),
        ),
      cancel: (id: string, etag: string, reason: string) =>
        call(
          client.POST("/api/v1/intents/{id}/cancel/", {
            params: { path: { id }, header: { "If-Match": etag } },
            body: { reason },
          }),
        ),
      /** The contract says paginated; the server sends a plain list. Accept both. */
      history: async (id: string): Promise<LedgerEvent[]> => {
        const data: unknown = await call(client.GET("/api/v1/intents/{id}/history/", { params: { path: { id } } }));
        if (Array.isArray(data)) return data as LedgerEvent[];
        return ((data as Page<LedgerEvent> | undefined)?.results ?? []) as LedgerEvent[];
      },
    },
    rollouts: {
      list: (query: RolloutQuery = {}) => call(client.GET("/api/v1/rollouts/", { params: { query: compact(query) } })),
      get: (id: string) => call(client.GET("/api/v1/rollouts/{id}/", { params: { path: { id } } })),
      /** The rollout of an intent, or null before it started. */
      ofIntent: async (intentId: string): Promise<RolloutBrief | null> => {
        const page = await call(client.GET("/api/v1/rollouts/", { params: { query: { intent: intentId } } }));
        return page?.results?.[0] ?? null;
      },
      act: (id: string, action: RolloutAction, reason: string) => {
        const init = { params: { path: { id } }, body: { reason } };
        switch (action) {
          case "pause":
            return call(client.POST("/api/v1/rollouts/{id}/pause/", init));
          case "resume":
            return call(client.POST("/api/v1/rollouts/{id}/resume/", init));
          case "halt":
            return call(client.POST("/api/v1/rollouts/{id}/halt/", init));
          case "rollback":
            return call(client.POST("/api/v1/rollouts/{id}/rollback/", init));
          case "promote":
            return call(client.POST("/api/v1/rollouts/{id}/promote/", init));
        }
      },
      /** Start an approved intent's rollout (202 + a job to poll). */
      start: (intentId: string, etag?: string) =>
        call(
          client.POST("/api/v1/intents/{id}/start/", {
            params: { path: { id: intentId } },
            ...(etag ? { headers: { "If-Match": etag } } : {}),
          }),
        ),
      /** The dry plan: the expected timeline, ring by ring, touching no plane. */
      plan: (intentId: string) => call(client.POST("/api/v1/intents/{id}/plan/", { params: { path: { id: intentId } } })),
    },
    jobs: {
      get: (id: number) => call(client.GET("/api/v1/jobs/{id}/", { params: { path: { id } } })),
    },
    incidents: {
      list: (query: IncidentQuery = {}) => call(client.GET("/api/v1/incidents/", { params: { query: compact(query) } })),
      create: (body: IncidentWrite) => call(client.POST("/api/v1/incidents/", { body })),
      resolve: (id: string, resolution: string) =>
        call(client.POST("/api/v1/incidents/{id}/resolve/", { params: { path: { id } }, body: { resolution } })),
    },
    windows: {
      list: (query: WindowQuery = {}) =>
        call(client.GET("/api/v1/maintenance-windows/", { params: { query: compact(query) } })),
      create: (body: WindowWrite) => call(client.POST("/api/v1/maintenance-windows/", { body })),
      deactivate: (id: string, reason: string) =>
        call(client.POST("/api/v1/maintenance-windows/{id}/deactivate/", { params: { path: { id } }, body: { reason } })),
    },
    freeze: {
      get: () => call(client.GET("/api/v1/change-freeze/")),
      set: (active: boolean, reason: string) => call(client.POST("/api/v1/change-freeze/", { body: { active, reason } })),
    },
    ringPolicies: {
      list: () => call(client.GET("/api/v1/ring-policies/")),
    },

    ledger: {
      list: (query: LedgerQuery = {}) => call(client.GET("/api/v1/ledger/", { params: { query: compact(query) } })),
      get: (sequence: number | string) =>
        call(client.GET("/api/v1/ledger/{sequence}/", { params: { path: { sequence: String(sequence) } } })),
      verify: () => call(client.POST("/api/v1/ledger/verify/")),
      exportLines: async (): Promise<Blob> =>
        (await call(client.GET("/api/v1/ledger/export/", { parseAs: "blob" }))) as unknown as Blob,
    },

    evidencePacks: {
      /** Seal the next pack version for (intent, artifact); a refusal lists every completeness gap. */
      seal: (intent: string, artifact: string) =>
        call(client.POST("/api/v1/evidence-packs/", { body: { intent, artifact } })),
      list: (query: NonNullable<operations["evidence_packs_list"]["parameters"]["query"]> = {}) =>
        call(client.GET("/api/v1/evidence-packs/", { params: { query: compact(query) } })),
      /** The sealed JSON document ({ body, seal }), as auditors download it. */
      download: (id: string) =>
        call(client.GET("/api/v1/evidence-packs/{id}/download/", { params: { path: { id } } })),
      /** The sealed bytes exactly as the server holds them, to save to a file. */
      downloadBlob: async (id: string): Promise<Blob> =>
        (await call(
          client.GET("/api/v1/evidence-packs/{id}/download/", { params: { path: { id } }, parseAs: "blob" }),
        )) as unknown as Blob,
      verify: (id: string) => call(client.POST("/api/v1/evidence-packs/{id}/verify/", { params: { path: { id } } })),
    },
    components: {
      list: (query: ComponentQuery = {}) => call(client.GET("/api/v1/components/", { params: { query: compact(query) } })),
    },
    riskAssessments: {
      list: (query: NonNullable<operations["risk_assessments_list"]["parameters"]["query"]> = {}) =>
        call(client.GET("/api/v1/risk-assessments/", { params: { query: compact(query) } })),
    },
    cabSubmissions: {
      /** `drafted_with`: the assistant draft-cab-note interaction the text came from (typed here until `make schema`). */
      create: (body: CabSubmissionWrite) =>
        call(client.POST("/api/v1/cab-submissions/", { body: body as Schemas["CabSubmissionWriteRequest"] })) as Promise<
          Schemas["CabSubmission"] & { drafted_with?: string | null }
        >,
    },
    cab: {
      list: (query: CabQuery = {}) => call(client.GET("/api/v1/cab-requests/", { params: { query: compact(query) } })),
      review: (id: string) => call(client.GET("/api/v1/cab-requests/{id}/review/", { params: { path: { id } } })),
      approve: (id: string, body: Schemas["ApproveRequest"]) =>
        call(client.POST("/api/v1/cab-requests/{id}/approve/", { params: { path: { id } }, body })),
      reject: (id: string, reason: string) =>
        call(client.POST("/api/v1/cab-requests/{id}/reject/", { params: { path: { id } }, body: { reason } })),
      conditional: (id: string, body: Schemas["ConditionalRequest"]) =>
        call(client.POST("/api/v1/cab-requests/{id}/conditional/", { params: { path: { id } }, body })),
      revoke: (decisionId: string, reason: string) =>
        call(client.POST("/api/v1/cab-decisions/{id}/revoke/", { params: { path: { id: decisionId } }, body: { reason } })),
    },
    exceptions: {
      list: (query: ExceptionQuery = {}) => call(client.GET("/api/v1/exceptions/", { params: { query: compact(query) } })),
      create: (body: ExceptionWrite) => call(client.POST("/api/v1/exceptions/", { body })),
      approve: (id: string, reason: string) =>
        call(client.POST("/api/v1/exceptions/{id}/approve/", { params: { path: { id } }, body: { reason } })),
      reject: (id: string, reason: string) =>
        call(client.POST("/api/v1/exceptions/{id}/reject/", { params: { path: { id } }, body: { reason } })),
      extend: (id: string, days: number, reason: string) =>
        call(client.POST("/api/v1/exceptions/{id}/extend/", { params: { path: { id } }, body: { days, reason } })),
    },
    /** Public keys and X.509 roots that evidence signatures are checked against (unpaged). */
    trustedKeys: {
      list: () => call(client.GET("/api/v1/trusted-keys/")),
      create: (body: TrustedKeyWrite) => call(client.POST("/api/v1/trusted-keys/", { body })),
      revoke: (id: string, reason: string) =>
        call(client.POST("/api/v1/trusted-keys/{id}/revoke/", { params: { path: { id } }, body: { reason } })),
    },
    breakGlass: {
      list: () => call(client.GET("/api/v1/break-glass/")),
      create: (body: Schemas["BreakGlassWriteRequest"]) => call(client.POST("/api/v1/break-glass/", { body })),
      confirm: (id: string) => call(client.POST("/api/v1/break-glass/{id}/confirm/", { params: { path: { id } } })),
      review: (id: string, notes: string) =>
        call(client.POST("/api/v1/break-glass/{id}/review/", { params: { path: { id } }, body: { notes } })),
    },
    connectors: {
      /** Unpaged on the server. */
      list: () => call(client.GET("/api/v1/connectors/")),
      get: (id: string) => call(client.GET("/api/v1/connectors/{id}/", { params: { path: { id } } })),
      check: (id: string) =>
        call(client.POST("/api/v1/connectors/{id}/check/", { params: { path: { id } }, body: {} })),
      operations: (id: string) =>
        call(client.GET("/api/v1/connectors/{id}/operations/", { params: { path: { id } } })),
      create: (body: Schemas["ConnectorWriteRequest"]) => call(client.POST("/api/v1/connectors/", { body })),
      update: (id: string, etag: string, body: Schemas["PatchedConnectorUpdateRequest"]) =>
        call(
          client.PATCH("/api/v1/connectors/{id}/", { params: { path: { id }, header: { "If-Match": etag } }, body }),
        ),
    },
    drift: {
      list: (query: DriftQuery = {}) => call(client.GET("/api/v1/drift/", { params: { query: compact(query) } })),
      get: (id: string) => call(client.GET("/api/v1/drift/{id}/", { params: { path: { id } } })),
      /** Counts per kind and status under the same filters as the list. */
      summary: (query: Omit<DriftQuery, "cursor" | "page_size"> = {}) =>
        call(
          client.GET("/api/v1/drift/summary/", {
            params: { query: compact(query) as NonNullable<operations["drift_summary_retrieve"]["parameters"]["query"]> },
          }),
        ),
      acknowledge: (id: string, etag: string | undefined, reason: string) =>
        call(
          client.POST("/api/v1/drift/{id}/acknowledge/", {
            params: { path: { id } },
            ...(etag ? { headers: { "If-Match": etag } } : {}),
            body: { reason },
          }),
        ),
      resolve: (id: string, etag: string | undefined, reason: string) =>
        call(
          client.POST("/api/v1/drift/{id}/resolve/", {
            params: { path: { id } },
            ...(etag ? { headers: { "If-Match": etag } } : {}),
            body: { reason },
          }),
        ),
      accept: (id: string, etag: string | undefined, reason: string, expiresAt: string) =>
        call(
          client.POST("/api/v1/drift/{id}/accept/", {
            params: { path: { id } },
            ...(etag ? { headers: { "If-Match": etag } } : {}),
            body: { reason, expires_at: expiresAt },
          }),
        ),
    },
    reconcile: {
      /** A dry run answers with the report (nothing changes); otherwise a pass is queued (202). */
      run: (body: Schemas["ReconcileRunRequestRequest"]) => call(client.POST("/api/v1/reconcile/runs/", { body })),
    },
    assistant: {
      /** One answer, whole, with its citations. */
      ask: (feature: AssistantFeature, body: AssistantBody): Promise<AssistantAnswer> => {
        switch (feature) {
          case "explain-risk":
            return call(client.POST("/api/v1/assistant/explain-risk/", { body })) as Promise<AssistantAnswer>; // JSON: no "stream": true
          case "summarise-evidence":
            return call(client.POST("/api/v1/assistant/summarise-evidence/", { body })) as Promise<AssistantAnswer>; // JSON: no "stream": true
          case "draft-cab-note":
            return call(client.POST("/api/v1/assistant/draft-cab-note/", { body: { ...body, intent_id: body.intent_id ?? "" } })) as Promise<AssistantAnswer>; // JSON: no "stream": true
          case "explain-ring":
            return call(client.POST("/api/v1/assistant/explain-ring/", { body: { ...body, intent_id: body.intent_id ?? "" } })) as Promise<AssistantAnswer>; // JSON: no "stream": true
          case "ask":
            return call(client.POST("/api/v1/assistant/ask/", { body: { question: body.question ?? "" } })) as Promise<AssistantAnswer>; // JSON: no "stream": true
        }
      },
      /** The same answer, streamed: text arrives through `onDelta` while the provider writes it. */
      stream: streamAssistant,
    },
    users: {
      list: () => call(client.GET("/api/v1/users/")),
      create: (body: Schemas["UserCreateRequest"]) => call(client.POST("/api/v1/users/", { body })),
      setRoles: (id: number, roles: Schemas["RoleGrantRequest"][]) =>
        call(client.PUT("/api/v1/users/{id}/roles/", { params: { path: { id } }, body: { roles } })),
      deactivate: (id: number, reason: string) =>
        call(client.POST("/api/v1/users/{id}/deactivate/", { params: { path: { id } }, body: { reason } })),
    },
    tokens: {
      list: () => call(client.GET("/api/v1/tokens/")),
      create: (body: Schemas["TokenCreateRequest"]) => call(client.POST("/api/v1/tokens/", { body })),
      revoke: (id: number, reason: string) =>
        call(client.POST("/api/v1/tokens/{id}/revoke/", { params: { path: { id } }, body: { reason } })),
    },
    /** Webhook targets (unpaged) and their delivery log (newest 200); edit and send-test: api/reads.ts. */
    webhooks: {
      list: () => call(client.GET("/api/v1/webhooks/")),
      create: (body: WebhookWrite) => call(client.POST("/api/v1/webhooks/", { body })),
      setActive: (id: number, active: boolean) =>
        call(client.POST("/api/v1/webhooks/{id}/activation/", { params: { path: { id } }, body: { active } })),
      deliveries: (id: number) => call(client.GET("/api/v1/webhooks/{id}/deliveries/", { params: { path: { id } } })),
    },
    /** Notifications addressed to me (all of them for Platform Admins and Auditors); read state: api/reads.ts. */
    notifications: {
      list: (query: NotificationQuery = {}) =>
        call(client.GET("/api/v1/notifications/", { params: { query: compact(query) } })),
    },
    /** Dual control: one Platform Admin files a role-grant request, a different one decides it. */
    grantRequests: {
      list: (state?: "pending" | "approved" | "rejected") =>
        call(client.GET("/api/v1/role-grant-requests/", { params: { query: state ? { state } : {} } })),
      create: (body: Schemas["RoleGrantRequestCreateRequest"]) =>
        call(client.POST("/api/v1/role-grant-requests/", { body })),
      approve: (id: number, reason: string) =>
        call(client.POST("/api/v1/role-grant-requests/{id}/approve/", { params: { path: { id } }, body: { reason } })),
      reject: (id: number, reason: string) =>
        call(client.POST("/api/v1/role-grant-requests/{id}/reject/", { params: { path: { id } }, body: { reason } })),
    },
  };
}

/**
 * POST a multipart form with XMLHttpRequest, whose upload progress events fetch cannot give for a
 * request body; CSRF, correlation id and problem handling as for every other call.
 */
export function uploadWithProgress<T>(
  url: string,
  fields: Record<string, string | File>,
  onProgress: (fraction: number) => void,
  cookies: () => string,
  expired: Set<ExpiredListener>,
): Promise<T> {
  const correlation = newCorrelationId();
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader(CORRELATION_HEADER, correlation);
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    const token = readCookie(CSRF_COOKIE, cookies());
    if (token) xhr.setRequestHeader(CSRF_HEADER, token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
    };
    xhr.onerror = () => reject(networkProblem(new Error("The upload could not reach Fleetgate."), correlation));
    xhr.onabort = () => reject(networkProblem(new Error("The upload was stopped."), correlation));
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: toProblem copes with text */
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      const problem = toProblem(xhr.status, body, xhr.getResponseHeader(CORRELATION_HEADER) ?? correlation);
      if (problem.status === 401) for (const listener of expired) listener(problem);
      reject(problem);
    };
    xhr.send(form);
  });
}

/** Drop empty filter values so `?state=&q=` never reaches the server. */
export function compact<T extends object>(query: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out as T;
}

/** The `cursor` query parameter of a DRF cursor-pagination link, or null. */
export function cursorOf(link: string | null | undefined): string | null {
  if (!link) return null;
  try {
    return new URL(link, "http://x").searchParams.get("cursor");
  } catch {
    return null;
  }
}

export type Api = ReturnType<typeof createApi>;

export const api: Api = createApi({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
});
