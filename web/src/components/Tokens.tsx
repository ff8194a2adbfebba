import { useEffect, useRef, useState } from "react";
import type { Token, TokenCreated } from "../api/client";
import type { IconName } from "../lib/intents";
import { Icon } from "./Icon";
import { type Column, Table } from "./Table";
import { Time } from "./Time";

/** A new token's secret, shown once (it is never stored), with a copy button. */
export function TokenShownOnce({ token, onDismiss }: { token: TokenCreated; onDismiss: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState<string>("");
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} className="alert alert-warning token-once" role="alert" tabIndex={-1}>
      <p className="alert-title">
        <Icon name="alert" /> <strong>Copy the token now: it is shown only once.</strong>
      </p>
      <p>
        Token <strong>{token.name}</strong> for {token.username}, expires <Time value={token.expires_at} />:
      </p>
      <p>
        <code className="secret" data-testid="token-secret">
          {token.token}
        </code>
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="btn"
          onClick={() => {
            const clipboard = navigator.clipboard;
            if (!clipboard) {
              setCopied("This browser does not allow copying here; select the token and copy it yourself.");
              return;
            }
            void clipboard.writeText(token.token).then(
              () => setCopied("Copied."),
              () => setCopied("Copying was refused; select the token and copy it yourself."),
            );
          }}
        >
          Copy to clipboard
        </button>
        <button type="button" className="btn btn-primary" onClick={onDismiss}>
          I have stored it
        </button>
        <span role="status">{copied}</span>
      </div>
    </div>
  );
}

export function tokenStatus(t: Token): "Active" | "Revoked" | "Expired" {
  return t.is_active ? "Active" : t.revoked_at ? "Revoked" : "Expired";
}

/** API tokens: metadata only (the secret is never stored), with a revoke button on active ones. */
export function TokenTable({
  tokens,
  caption,
  showUser,
  onRevoke,
  loading,
  empty,
}: {
  tokens: Token[];
  caption: string;
  showUser?: boolean;
  onRevoke: (t: Token) => void;
  loading?: boolean;
  empty?: string;
}) {
  const columns: Column<Token>[] = [
    { label: "Name", cell: (t) => t.name, rowHeader: true },
    ...(showUser ? [{ label: "User", cell: (t: Token) => t.username }] : []),
    { label: "Key id", cell: (t) => <code>{t.key_id}</code>, value: (t) => t.key_id },
    { label: "Created", cell: (t) => <Time value={t.created_at} />, value: (t) => t.created_at },
    { label: "Expires", cell: (t) => <Time value={t.expires_at} />, value: (t) => t.expires_at },
    { label: "Last used", cell: (t) => <Time value={t.last_used_at} />, value: (t) => t.last_used_at ?? "" },
    {
      label: "Status",
      value: tokenStatus,
      cell: (t) => {
        const status = tokenStatus(t);
        const [tone, icon]: [string, IconName] =
          status === "Active" ? ["tone-success", "check"] : status === "Revoked" ? ["tone-danger", "cross"] : ["tone-neutral", "clock"];
        return (
          <span className={`badge ${tone}`}>
            <Icon name={icon} /> {status}
          </span>
        );
      },
    },
    {
      label: "Actions",
      data: false,
      sortable: false,
      cell: (t) =>
        t.is_active ? (
          <button type="button" className="btn btn-danger" onClick={() => onRevoke(t)} aria-label={`Revoke token ${t.name}`}>
            Revoke
          </button>
        ) : null,
    },
  ];
  return <Table caption={caption} columns={columns} rows={tokens} rowKey={(t) => String(t.id)} loading={loading} empty={empty} />;
}
