import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { NavLink, Navigate, Route, Routes } from "react-router";
import { api, type RoleName, type Schemas, type TokenCreated, type User } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { type Grant, GrantRows } from "../components/GrantRows";
import { Icon } from "../components/Icon";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { TokenShownOnce, TokenTable } from "../components/Tokens";
import { isPlatformAdmin, ROLE_LABELS } from "../lib/permissions";
import { NotAllowed } from "./NotFound";
import { DualControlAlert, RoleRequests } from "./RoleRequests";
import { Table } from "../components/Table";


export function Settings() {
  const user = useUser();
  if (!isPlatformAdmin(user)) return <NotAllowed need="Platform Admin" />;
  return (
    <Routes>
      <Route index element={<Navigate to="users" replace />} />
      <Route path="users" element={<Users />} />
      <Route path="tokens" element={<Tokens />} />
      <Route path="role-requests" element={<RoleRequestsTab />} />
      <Route path="*" element={<Navigate to="users" replace />} />
    </Routes>
  );
}

function SettingsTabs() {
  return (
    <nav className="tabs" aria-label="Settings sections">
      <NavLink to="/settings/users">Users and roles</NavLink>
      <NavLink to="/settings/tokens">API tokens</NavLink>
      <NavLink to="/settings/role-requests">Role requests</NavLink>
    </nav>
  );
}

function RoleRequestsTab() {
  return (
    <Page title="Settings" subtitle="People, their roles and scopes, and API tokens.">
      <SettingsTabs />
      <RoleRequests />
    </Page>
  );
}

function grantsOf(u: User): Grant[] {
  return u.roles.map((r) => ({
    role: String(r.role) as RoleName,
    boundary: typeof r.boundary === "string" ? r.boundary : "*",
    business_units: Array.isArray(r.business_units) ? (r.business_units as string[]) : ["*"],
  }));
}

function grantText(g: Grant): string {
  return `${ROLE_LABELS[g.role]} @ ${g.boundary ?? "*"} / ${(g.business_units ?? ["*"]).join(", ")}`;
}

function RolesEditor({ user, onDone }: { user: User; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [grants, setGrants] = useState<Grant[]>(() => grantsOf(user));
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const save = useMutation({
    mutationFn: () => api.users.setRoles(user.id, grants),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      onDone();
    },
  });
  return (
    <section className="card" aria-labelledby="roles-h">
      <h2 id="roles-h" ref={heading} tabIndex={-1}>
        Roles and scopes of {user.username}
      </h2>
      {save.isError ? <DualControlAlert error={save.error} username={user.username} title="Could not save the roles" /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <GrantRows grants={grants} onChange={setGrants} idPrefix={`edit-${user.id}`} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save roles"}
          </button>
          <button type="button" className="btn" onClick={onDone}>
            Close without saving
          </button>
        </div>
      </form>
    </section>
  );
}

function CreateUser() {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [grants, setGrants] = useState<Grant[]>([{ role: "auditor", boundary: "*", business_units: ["*"] }]);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api.users.create({ username, password, roles: grants, ...(email ? { email } : {}) } as Schemas["UserCreateRequest"]),
    onSuccess: (u) => {
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      setCreated(u.username);
      setUsername("");
      setEmail("");
      setPassword("");
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  }
  const errors = create.error instanceof ApiProblem ? create.error.fieldErrors() : new Map<string, string[]>();
  return (
    <section className="card" aria-labelledby="new-user-h">
      <h2 id="new-user-h">Add a user</h2>
      {create.isError ? <DualControlAlert error={create.error} username={username} /> : null}
      {created ? (
        <p className="alert alert-success" role="status">
          User {created} created.
        </p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <div className="row">
          <div className="field">
            <label htmlFor="nu-username">Username</label>
            <input id="nu-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" aria-invalid={errors.has("username") || undefined} />
          </div>
          <div className="field">
            <label htmlFor="nu-email">Email</label>
            <input id="nu-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="nu-password">Initial password (12+ characters)</label>
            <input id="nu-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
          </div>
        </div>
        <GrantRows grants={grants} onChange={setGrants} idPrefix="nu" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create user"}
          </button>
        </div>
      </form>
    </section>
  );
}

function Users() {
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ["users"], queryFn: api.users.list });
  const [editing, setEditing] = useState<User | null>(null);
  const [deactivating, setDeactivating] = useState<User | null>(null);
  const [reason, setReason] = useState("");
  const deactivate = useMutation({
    mutationFn: (u: User) => api.users.deactivate(u.id, reason),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      setDeactivating(null);
      setReason("");
    },
  });
  const rows = users.data ?? [];
  return (
    <Page title="Settings" subtitle="People, their roles and scopes, and API tokens.">
      <SettingsTabs />
      <h2>Users and roles</h2>
      {deactivate.isError ? <ProblemAlert error={deactivate.error} title="Could not deactivate" /> : null}
      <DataState query={users} label="users" isEmpty={rows.length === 0}>
        <Table
          caption="Users, their roles and scopes"
          id="users"
          rows={rows}
          rowKey={(u) => String(u.id)}
          columns={[
            {
              label: "User",
              value: (u) => `${u.username} ${u.email ?? ""}`,
              cell: (u) => (
                <>
                  {u.username}
                  <div className="small muted">{u.email}</div>
                </>
              ),
            },
            {
              label: "Status",
              value: (u) => (u.is_active ? "Active" : "Deactivated"),
              cell: (u) =>
                u.is_active ? (
                  <span className="badge tone-success">
                    <Icon name="check" /> Active
                  </span>
                ) : (
                  <span className="badge tone-neutral">
                    <Icon name="cross" /> Deactivated
                  </span>
                ),
            },
            {
              label: "Roles and scopes",
              value: (u) => (u.roles.length ? grantsOf(u).map(grantText).join("; ") : "No roles"),
              cell: (u) => (
                <ul className="plain">
                  {grantsOf(u).map((g, i) => (
                    <li key={i}>{grantText(g)}</li>
                  ))}
                  {u.roles.length === 0 ? <li className="muted">No roles</li> : null}
                </ul>
              ),
            },
            {
              label: "Actions",
              data: false,
              className: "actions",
              cell: (u) => (
                <>
                  <button type="button" className="btn" onClick={() => setEditing(u)} aria-label={`Edit roles of ${u.username}`}>
                    Edit roles
                  </button>
                  {u.is_active ? (
                    <button type="button" className="btn btn-danger" onClick={() => setDeactivating(u)} aria-label={`Deactivate ${u.username}`}>
                      Deactivate
                    </button>
                  ) : null}
                </>
              ),
            },
          ]}
        />
      </DataState>
      {editing ? <RolesEditor key={editing.id} user={editing} onDone={() => setEditing(null)} /> : null}
      <CreateUser />
      <ConfirmDialog
        open={!!deactivating}
        title={`Deactivate ${deactivating?.username ?? ""}?`}
        confirmLabel="Deactivate"
        danger
        busy={deactivate.isPending}
        onClose={() => setDeactivating(null)}
        onConfirm={() => deactivating && deactivate.mutate(deactivating)}
      >
        <p>They can no longer sign in, and their API tokens stop working.</p>
        <div className="field">
          <label htmlFor="deactivate-reason">Reason (recorded in the ledger)</label>
          <input id="deactivate-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
      </ConfirmDialog>
    </Page>
  );
}

function Tokens() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ["tokens"], queryFn: api.tokens.list });
  const users = useQuery({ queryKey: ["users"], queryFn: api.users.list });
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [userId, setUserId] = useState("");
  const [shown, setShown] = useState<TokenCreated | null>(null);
  const [revoking, setRevoking] = useState<Schemas["Token"] | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api.tokens.create({
        name,
        days: days ? Number(days) : undefined,
        user: userId ? Number(userId) : undefined,
      }),
    onSuccess: (t) => {
      setShown(t);
      setName("");
      void queryClient.invalidateQueries({ queryKey: ["tokens"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api.tokens.revoke(id, "Revoked in the web UI"),
    onSuccess: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: ["tokens"] });
    },
  });
  const rows = tokens.data ?? [];
  return (
    <Page title="Settings" subtitle="People, their roles and scopes, and API tokens.">
      <SettingsTabs />
      <h2>API tokens</h2>
      {shown ? <TokenShownOnce token={shown} onDismiss={() => setShown(null)} /> : null}
      <section className="card" aria-labelledby="new-token-h">
        <h3 id="new-token-h">Create a token</h3>
        {create.isError ? <ProblemAlert error={create.error} /> : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
          noValidate
        >
          <div className="row">
            <div className="field">
              <label htmlFor="tk-name">Name</label>
              <input id="tk-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
            </div>
            <div className="field">
              <label htmlFor="tk-days">Valid for (days, 1–365)</label>
              <input id="tk-days" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="tk-user">For user</label>
              <select id="tk-user" value={userId} onChange={(e) => setUserId(e.target.value)}>
                <option value="">Me</option>
                {/* Tokens are personal: an administrator mints them only for service accounts, never for another person. */}
                {(users.data ?? [])
                  .filter((u) => u.is_active && u.service_account)
                  .map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.username}
                    </option>
                  ))}
              </select>
            </div>
          </div>
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create token"}
          </button>
        </form>
      </section>
      {revoke.isError ? <ProblemAlert error={revoke.error} title="Could not revoke" /> : null}
      <DataState query={tokens} label="tokens">
        <TokenTable caption="API tokens" tokens={rows} showUser onRevoke={setRevoking} empty="No API token exists yet." />
      </DataState>
      <ConfirmDialog
        open={!!revoking}
        title={`Revoke token ${revoking?.name ?? ""}?`}
        confirmLabel="Revoke token"
        danger
        busy={revoke.isPending}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      >
        <p>Programs using it stop working at once. This cannot be undone.</p>
      </ConfirmDialog>
    </Page>
  );
}
