import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, type TrustedKey } from "../api/client";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Badge } from "../components/Governance";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { ReasonDialog } from "../components/ReasonDialog";
import { type Column, Table } from "../components/Table";
import { TrustedKeyForm } from "../components/TrustedKeyForm";
import { hasRole } from "../lib/permissions";
import { KEY_STATUS, algorithmName, keyKind, keyStatus, validityText } from "../lib/trust";
import { Time } from "../components/Time";

/** Trusted signing keys and X.509 roots: everyone may see them; a Security Reviewer adds and revokes. */
export function TrustedKeys() {
  const user = useUser();
  const queryClient = useQueryClient();
  const mayManage = hasRole(user, "security_reviewer");
  const list = useQuery({ queryKey: ["trusted-keys"], queryFn: api.trustedKeys.list });
  const rows = list.data ?? [];
  const [revoking, setRevoking] = useState<TrustedKey | null>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const revoke = useMutation({
    mutationFn: ({ key, reason }: { key: TrustedKey; reason: string }) => api.trustedKeys.revoke(key.key_id, reason),
    onSuccess: (key) => {
      setRevoking(null);
      setNotice(`Revoked ${key.name}. Signatures by this key no longer count as verified.`);
      void queryClient.invalidateQueries({ queryKey: ["trusted-keys"] });
    },
  });

  const columns: Column<TrustedKey>[] = [
    {
      label: "Key",
      rowHeader: true,
      cell: (k) => (
        <>
          {k.name}
          <div className="small muted">
            {keyKind(k.kind)}, {algorithmName(k.algorithm)}
          </div>
        </>
      ),
    },
    { label: "Publisher", cell: (k) => k.publisher },
    {
      label: "Status",
      cell: (k) => {
        const s = KEY_STATUS[keyStatus(k)];
        return (
          <>
            <Badge tone={s.tone} icon={s.icon} label={s.label} data={keyStatus(k)} />
            {k.revoked_at ? <div className="small">on <Time value={k.revoked_at} /></div> : null}
          </>
        );
      },
    },
    {
      label: "Valid",
      value: validityText,
      cell: (k) => (
        <>
          {k.not_before ? (
            <>
              From <Time value={k.not_before} />
            </>
          ) : (
            "From when it was added"
          )}
          {k.expires_at ? (
            <>
              {" "}
              until <Time value={k.expires_at} />
            </>
          ) : (
            ", with no expiry"
          )}
        </>
      ),
    },
    {
      label: "Fingerprint",
      cell: (k) => (
        <code className="digest" title="SHA-256 fingerprint (first 32 hex digits)">
          {k.key_id}
        </code>
      ),
    },
    {
      label: "Added",
      value: (k) => k.created_at,
      cell: (k) => (
        <>
          by {k.created_by}, <Time value={k.created_at} />
        </>
      ),
    },
  ];
  if (mayManage) {
    columns.push({
      label: "Actions",
      cell: (k) =>
        k.revoked_at ? (
          "—"
        ) : (
          <button type="button" className="btn btn-danger" onClick={() => setRevoking(k)}>
            Revoke {k.name}…
          </button>
        ),
    });
  }

  return (
    <Page title="Trusted keys" subtitle="Public keys and X.509 roots that evidence signatures are checked against.">
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      {revoke.error && !revoking ? <ProblemAlert error={revoke.error} /> : null}
      <DataState query={list} label="trusted keys" isEmpty={rows.length === 0} empty="No key is trusted yet: signatures cannot be verified until one is added.">
        <Table caption="Trusted keys" columns={columns} rows={rows} rowKey={(k) => k.key_id} rowData={(k) => ({ "data-key": k.name })} />
      </DataState>
      {mayManage ? (
        <TrustedKeyForm
          onAdded={(key) => {
            setNotice(`Added ${key.name} (${keyKind(key.kind).toLowerCase()}, ${algorithmName(key.algorithm)}) from ${key.publisher}.`);
            void queryClient.invalidateQueries({ queryKey: ["trusted-keys"] });
          }}
        />
      ) : null}
      <ReasonDialog
        open={revoking !== null}
        title={revoking ? `Revoke ${revoking.name}?` : "Revoke this key?"}
        confirmLabel="Revoke key"
        danger
        busy={revoke.isPending}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
        onConfirm={(reason) => revoking && revoke.mutate({ key: revoking, reason })}
      >
        {revoking ? (
          <p>
            Signatures by {revoking.publisher}'s {keyKind(revoking.kind).toLowerCase()} <strong>{revoking.name}</strong> stop
            counting as verified. This cannot be undone.
          </p>
        ) : null}
        {revoke.error && revoking ? <ProblemAlert error={revoke.error} /> : null}
      </ReasonDialog>
    </Page>
  );
}
