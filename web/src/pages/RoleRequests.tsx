import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { api, type RoleName, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Icon } from "../components/Icon";
import { BusinessUnitChecks, ScopeSelect } from "../components/ScopeSelect";
import { knownScopes } from "../lib/catalog";
import { ProblemAlert } from "../components/ProblemAlert";
import { ReasonDialog } from "../components/ReasonDialog";
import { ROLE_LABELS } from "../lib/permissions";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

/** Roles a Platform Admin never grants alone: a second Platform Admin approves a request for them. */
export const DUAL_CONTROL_ROLES: RoleName[] = ["platform_admin", "cab_approver", "security_reviewer"];
export const ROLE_REQUESTS = "/settings/role-requests";
type GrantRequest = Schemas["PendingRoleGrant"];

const label = (role: string) => ROLE_LABELS[role as RoleName] ?? role;
const scopeText = (r: GrantRequest) => `${r.boundary ?? "*"} / ${r.business_units.join(", ")}`;

/**
 * A save refused under dual control, in this screen's words: a sentence with a link to the pending
 * request (or to the form that files one). Any other problem is shown as usual.
 */
export function DualControlAlert({ error, username, title }: { error: unknown; username: string; title?: string }) {
  if (!(error instanceof ApiProblem) || error.extra.rule !== "dual-control" || error.extra.attempted !== "user.grant_role") {
    return <ProblemAlert error={error} title={title} />;
  }
  const roles = (Array.isArray(error.extra.roles) ? error.extra.roles : []) as string[];
  const pending = (Array.isArray(error.extra.pending_requests) ? error.extra.pending_requests : []) as number[];
  const userId = typeof error.extra.user === "number" ? error.extra.user : null;
  const names = roles.map(label).join(", ");
  let next;
  if (pending.length > 0) {
    next = (
      <>
        A request for it is already waiting: <Link to={`${ROLE_REQUESTS}#grant-request-${pending[0]}`}>see the pending request</Link>. Another Platform
        Admin approves or rejects it there.
      </>
    );
  } else if (userId !== null) {
    next = (
      <>
        <Link to={`${ROLE_REQUESTS}?user=${userId}&role=${roles[0] ?? ""}`}>Request {names} for {username}</Link>, and another Platform Admin
        approves it.
      </>
    );
  } else {
    next = (
      <>
        Create {username} without {names} first, then <Link to={ROLE_REQUESTS}>request the role</Link> for another Platform Admin to approve.
      </>
    );
  }
  return (
    <div className="alert alert-warning" role="alert" tabIndex={-1} data-code="dual-control">
      <p className="alert-title">
        <Icon name="alert" /> <strong>{title ?? "Needs a second Platform Admin"}</strong>
      </p>
      <p>
        Granting {names} to {username} needs a second Platform Admin (dual control). {next}
      </p>
    </div>
  );
}

function RequestForm() {
  const me = useUser();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const users = useQuery({ queryKey: ["users"], queryFn: api.users.list });
  const wantedRole = params.get("role") as RoleName | null;
  const [userId, setUserId] = useState(params.get("user") ?? "");
  const [role, setRole] = useState<RoleName>(wantedRole && DUAL_CONTROL_ROLES.includes(wantedRole) ? wantedRole : "cab_approver");
  const [boundary, setBoundary] = useState("*");
  const [units, setUnits] = useState<string[]>(["*"]);
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const known = knownScopes(me, apps.data ?? [], { boundary: boundary === "*" ? undefined : boundary });
  const [reason, setReason] = useState("");
  const [filed, setFiled] = useState<GrantRequest | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api.grantRequests.create({
        user: Number(userId),
        role,
        boundary,
        business_units: units,
        reason,
      }),
    onSuccess: (row) => {
      setFiled(row);
      setReason("");
      void queryClient.invalidateQueries({ queryKey: ["grant-requests"] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    setFiled(null);
    create.mutate();
  }
  const errors = create.error instanceof ApiProblem ? create.error.fieldErrors() : new Map<string, string[]>();
  const people = (users.data ?? []).filter((u) => u.is_active && !u.service_account && u.username !== me.username);
  return (
    <section className="card" aria-labelledby="grant-new-h">
      <h3 id="grant-new-h">Ask for a deciding or administering role</h3>
      <p className="muted">Platform Admin, CAB Approver and Security Reviewer are granted only when a second Platform Admin approves.</p>
      {create.isError ? <ProblemAlert error={create.error} title="Could not file the request" /> : null}
      {filed ? (
        <p className="alert alert-success" role="status">
          Request {filed.id} filed: {label(filed.role)} for {filed.username}. Another Platform Admin approves or rejects it below.
        </p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <div className="row">
          <div className="field">
            <label htmlFor="gr-user">For user</label>
            <select id="gr-user" value={userId} onChange={(e) => setUserId(e.target.value)} aria-invalid={errors.has("user") || undefined}>
              <option value="">Choose a person</option>
              {people.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.username}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="gr-role">Role</label>
            <select id="gr-role" value={role} onChange={(e) => setRole(e.target.value as RoleName)}>
              {DUAL_CONTROL_ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
          <ScopeSelect
            path="gr.boundary"
            label="Boundary"
            value={boundary}
            onChange={(v) => {
              setBoundary(v);
              const there = knownScopes(me, apps.data ?? [], { boundary: v === "*" ? undefined : v }).businessUnits;
              setUnits((us) => us.filter((u) => u === "*" || there.includes(u)));
            }}
            options={known.boundaries}
            special={[{ value: "*", label: "Every boundary" }]}
            errors={errors.get("boundary")}
          />
        </div>
        <BusinessUnitChecks path="gr.business_units" legend="Business units" value={units} onChange={setUnits} options={known.businessUnits} errors={errors.get("business_units")} />
        <div className={`field${errors.has("reason") ? " field-invalid" : ""}`}>
          <label htmlFor="gr-reason">Why the role is needed (recorded in the ledger, 10+ characters)</label>
          <textarea
            id="gr-reason"
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            aria-invalid={errors.has("reason") || undefined}
            aria-describedby={errors.has("reason") ? "gr-reason-error" : undefined}
          />
          {errors.has("reason") ? (
            <p className="field-error" id="gr-reason-error">
              <span aria-hidden="true">⚠ </span>
              {errors.get("reason")?.join(" ")}
            </p>
          ) : null}
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending ? "Filing…" : "File the request"}
          </button>
        </div>
      </form>
    </section>
  );
}

type Deciding = { row: GrantRequest; action: "approve" | "reject" };

function PendingRequests({ rows }: { rows: GrantRequest[] }) {
  const me = useUser();
  const queryClient = useQueryClient();
  const { hash } = useLocation();
  const [deciding, setDeciding] = useState<Deciding | null>(null);
  const decide = useMutation({
    mutationFn: ({ row, action, reason }: Deciding & { reason: string }) =>
      action === "approve" ? api.grantRequests.approve(row.id, reason) : api.grantRequests.reject(row.id, reason),
    onSuccess: () => {
      setDeciding(null);
      void queryClient.invalidateQueries({ queryKey: ["grant-requests"] });
      void queryClient.invalidateQueries({ queryKey: ["users"] });
    },
  });
  useEffect(() => {
    if (!hash.startsWith("#grant-request-")) return;
    const target = document.getElementById(hash.slice(1));
    target?.scrollIntoView({ block: "center" });
    target?.focus();
  }, [hash, rows.length]);
  const whyNot = (r: GrantRequest) =>
    r.requested_by === me.username
      ? "You filed this request, so another Platform Admin approves or rejects it (dual control)."
      : r.username === me.username
        ? "This request is for you, so another Platform Admin approves or rejects it (dual control)."
        : null;
  return (
    <>
      {decide.isError ? <ProblemAlert error={decide.error} title="Could not record the decision" /> : null}
      <Table
        caption="Pending role-grant requests"
        id="role-grant-requests"
        rows={rows}
        rowKey={(r) => String(r.id)}
        rowProps={(r) => {
          const target = hash === `#grant-request-${r.id}`;
          return { id: `grant-request-${r.id}`, tabIndex: -1, className: target ? "row-target" : undefined, "aria-current": target || undefined };
        }}
        columns={[
          { label: "Request", rowHeader: true, value: (r) => r.id, cell: (r) => `Request ${r.id}` },
          { label: "For", cell: (r) => r.username },
          {
            label: "Role and scope",
            value: (r) => `${label(r.role)} @ ${scopeText(r)}`,
            cell: (r) => (
              <>
                {label(r.role)} <span className="muted">@ {scopeText(r)}</span>
              </>
            ),
          },
          { label: "Why", cell: (r) => r.reason },
          {
            label: "Asked by",
            value: (r) => `${r.requested_by} ${r.requested_at}`,
            cell: (r) => (
              <>
                {r.requested_by}
                <div className="small muted"><Time value={r.requested_at} /></div>
              </>
            ),
          },
          {
            label: "Decision",
            data: false,
            cell: (r) => {
              const barred = whyNot(r);
              return barred ? (
                <p className="small decision-barred">{barred}</p>
              ) : (
                <span className="actions">
                  <button type="button" className="btn btn-primary" onClick={() => setDeciding({ row: r, action: "approve" })} aria-label={`Approve request ${r.id}`}>
                    Approve…
                  </button>{" "}
                  <button type="button" className="btn btn-danger" onClick={() => setDeciding({ row: r, action: "reject" })} aria-label={`Reject request ${r.id}`}>
                    Reject…
                  </button>
                </span>
              );
            },
          },
        ]}
      />
      <ReasonDialog
        open={!!deciding}
        title={deciding ? `${deciding.action === "approve" ? "Approve" : "Reject"} request ${deciding.row.id}?` : ""}
        confirmLabel={deciding?.action === "approve" ? "Approve and grant" : "Reject request"}
        reasonLabel={deciding?.action === "approve" ? "Note (recorded in the ledger)" : "Reason (recorded in the ledger)"}
        required={deciding?.action === "reject"}
        danger={deciding?.action === "reject"}
        busy={decide.isPending}
        onClose={() => setDeciding(null)}
        onConfirm={(reason) => deciding && decide.mutate({ ...deciding, reason })}
      >
        {deciding ? (
          <p>
            {deciding.action === "approve" ? "Grant" : "Refuse"} {label(deciding.row.role)} over {scopeText(deciding.row)} to {deciding.row.username}, as{" "}
            {deciding.row.requested_by} asked. {deciding.action === "approve" ? "The role applies at once, to changes opened from now on." : ""}
          </p>
        ) : null}
      </ReasonDialog>
    </>
  );
}

/** Settings → Role requests: file one, decide other admins' pending ones, see what was decided. */
export function RoleRequests() {
  const requests = useQuery({ queryKey: ["grant-requests"], queryFn: () => api.grantRequests.list() });
  const rows = requests.data ?? [];
  const pending = rows.filter((r) => r.state === "pending");
  const decided = rows.filter((r) => r.state !== "pending").slice(0, 20);
  return (
    <>
      <h2>Role requests</h2>
      <DataState query={requests} label="role-grant requests" isEmpty={pending.length === 0} empty="No role-grant request is pending.">
        <PendingRequests rows={pending} />
      </DataState>
      <RequestForm />
      {decided.length > 0 ? (
        <section aria-labelledby="grant-decided-h">
          <h3 id="grant-decided-h">Recently decided</h3>
          <ul className="plain">
            {decided.map((r) => (
              <li key={r.id}>
                Request {r.id}: {label(r.role)} for {r.username},{" "}
                <span className={`badge ${r.state === "approved" ? "tone-success" : "tone-neutral"}`}>{r.state}</span> by {r.decided_by ?? "?"}{" "}
                <Time value={r.decided_at ?? null} />
                {r.decision_reason ? `: ${r.decision_reason}` : ""}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
