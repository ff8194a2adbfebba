import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { account } from "../api/account";
import { api, type Token, type TokenCreated } from "../api/client";
import { ApiProblem } from "../api/problem";
import { PasswordForm, TimeZoneForm } from "../components/AccountForms";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { TokenShownOnce, TokenTable } from "../components/Tokens";
import { fieldErrorsOf } from "../lib/fields";
import { describeScope, ROLE_LABELS } from "../lib/permissions";
import { Table } from "../components/Table";

/** My account: who I am (roles and scopes, as the server sees them now), my time zone, password and API tokens. */
export function Me() {
  const me = useQuery({ queryKey: ["me"], queryFn: api.me });
  return (
    <Page title="My account" subtitle="Who you are here, how times are shown to you, your password and your API tokens.">
      <DataState query={me} label="your account">
        {me.data ? (
          <>
            <dl className="facts">
              <dt>Username</dt>
              <dd>{me.data.username}</dd>
              <dt>Kind</dt>
              <dd>{me.data.kind}</dd>
              <dt>Id</dt>
              <dd>
                <code>{me.data.id}</code>
              </dd>
            </dl>
            <h2>Roles and scopes</h2>
            {me.data.roles.length === 0 ? (
              <p className="empty">You hold no roles, so you can see nothing. Ask a Platform Admin.</p>
            ) : (
              <Table
                caption="Your roles and where each applies"
                toolbar={false}
                rows={me.data.roles}
                rowKey={(g) => `${g.role}-${g.boundary}-${(g.business_units ?? []).join(",")}`}
                columns={[
                  { label: "Role", cell: (g) => ROLE_LABELS[g.role] ?? g.role },
                  { label: "Boundary", cell: (g) => <code>{g.boundary ?? "*"}</code> },
                  { label: "Business units", cell: (g) => <code>{(g.business_units ?? ["*"]).join(", ")}</code> },
                  { label: "In words", cell: (g) => describeScope(g) },
                ]}
              />
            )}
            <TimeZoneForm current={me.data.time_zone} />
            <PasswordForm />
            <MyTokens />
          </>
        ) : null}
      </DataState>
    </Page>
  );
}

function MyTokens() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ["my-tokens"], queryFn: account.myTokens });
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [shown, setShown] = useState<TokenCreated | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["my-tokens"] });
  const create = useMutation({
    mutationFn: () => api.tokens.create({ name, days: days ? Number(days) : undefined }),
    onSuccess: (t) => {
      setShown(t);
      setName("");
      refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api.tokens.revoke(id, "Revoked by its owner on My account"),
    onSuccess: () => {
      setRevoking(null);
      refresh();
    },
  });
  const errors = fieldErrorsOf(create.error instanceof ApiProblem ? create.error : null);
  return (
    <section className="card" aria-labelledby="my-tokens-h">
      <h2 id="my-tokens-h">My API tokens</h2>
      <p>A token lets a program (a script, a pipeline, the command line) act as you. Its secret is shown once, when you create it.</p>
      {shown ? <TokenShownOnce token={shown} onDismiss={() => setShown(null)} /> : null}
      {create.isError ? <ProblemAlert error={create.error} title="Could not create the token" /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
        noValidate
      >
        <div className="row">
          <div className="field">
            <label htmlFor="my-tk-name">Name (where it will be used)</label>
            <input id="my-tk-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" aria-invalid={errors.has("name") || undefined} />
          </div>
          <div className="field">
            <label htmlFor="my-tk-days">Valid for (days, 1–365)</label>
            <input id="my-tk-days" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} aria-invalid={errors.has("days") || undefined} />
          </div>
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </form>
      {revoke.isError ? <ProblemAlert error={revoke.error} title="Could not revoke the token" /> : null}
      <DataState query={tokens} label="your tokens">
        <TokenTable
          caption="Your tokens"
          tokens={tokens.data ?? []}
          onRevoke={setRevoking}
          empty="You have no API tokens. Create one above when a program needs to act as you."
        />
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
        <p>Programs using it stop working at once. This cannot be undone; create a new token if one is needed again.</p>
      </ConfirmDialog>
    </section>
  );
}
