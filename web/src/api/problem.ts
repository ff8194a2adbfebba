/** RFC 9457 problem details, as every Fleetgate API error is shaped, turned into one typed error. */
import type { components } from "./schema";

export type ProblemBody = components["schemas"]["Problem"];
export type FieldIssue = NonNullable<ProblemBody["errors"]>[number];

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly correlationId: string;
  readonly errors: FieldIssue[];
  /** Anything else the server put on the problem (e.g. conflicting_intent, current_etag). */
  readonly extra: Record<string, unknown>;

  constructor(body: ProblemBody & Record<string, unknown>) {
    super(body.detail || body.title);
    this.name = "ApiProblem";
    this.status = body.status;
    this.code = body.code;
    this.title = body.title;
    this.detail = body.detail;
    this.type = body.type;
    this.correlationId = body.correlation_id;
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    const known = new Set(["status", "code", "title", "detail", "type", "correlation_id", "errors"]);
    this.extra = Object.fromEntries(Object.entries(body).filter(([k]) => !known.has(k)));
  }

  /** Field path (e.g. `ring_plan[1].device_count`) → messages for that field. */
  fieldErrors(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const issue of this.errors) {
      const list = out.get(issue.field) ?? [];
      list.push(issue.message);
      out.set(issue.field, list);
    }
    return out;
  }

  get isUnauthenticated(): boolean {
    return this.status === 401;
  }
}

function isProblemBody(value: unknown): value is ProblemBody & Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === "number" && typeof v.code === "string" && typeof v.title === "string";
}

const FALLBACK_TITLES: Record<number, string> = {
  400: "The request is not valid",
  401: "Authentication required",
  403: "You may not do this",
  404: "Not found",
  409: "Conflict with the current state",
  412: "The resource changed since you read it",
  413: "Payload too large",
  428: "If-Match header required",
  429: "Too many requests",
  500: "Internal error",
  502: "The server is unreachable",
  503: "The server is unavailable",
  504: "The server did not answer in time",
};

/**
 * Build an ApiProblem from whatever a failed response carried. A proxy's HTML error page or an
 * empty body still becomes a problem with a sensible title, the HTTP status and the correlation id.
 */
export function toProblem(status: number, body: unknown, correlationId: string): ApiProblem {
  if (isProblemBody(body)) {
    return new ApiProblem({ ...body, correlation_id: body.correlation_id || correlationId });
  }
  const title = FALLBACK_TITLES[status] ?? `HTTP ${status}`;
  const detail =
    typeof body === "string" && body.trim() && body.length < 300 && !body.trimStart().startsWith("<")
      ? body.trim()
      : `The server answered ${status} without problem details.`;
  return new ApiProblem({
    type: "about:blank",
    title,
    status,
    detail,
    code: status >= 500 ? "server-error" : `http-${status}`,
    correlation_id: correlationId,
  });
}

export function networkProblem(error: unknown, correlationId: string): ApiProblem {
  const why = error instanceof Error ? error.message : String(error);
  return new ApiProblem({
    type: "about:blank",
    title: "Cannot reach Fleetgate",
    status: 0,
    detail: `The request did not reach the server (${why}). Check your connection and retry.`,
    code: "network-error",
    correlation_id: correlationId,
  });
}

export function isApiProblem(error: unknown): error is ApiProblem {
  return error instanceof ApiProblem;
}
