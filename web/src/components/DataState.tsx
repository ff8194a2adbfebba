import type { ReactNode } from "react";
import { ProblemAlert } from "./ProblemAlert";

interface QueryLike {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  refetch: () => unknown;
}

/** Loading, error and empty states for any query, the same on every screen. */
export function DataState({
  query,
  empty,
  isEmpty,
  label,
  children,
}: {
  query: QueryLike;
  isEmpty?: boolean;
  empty?: ReactNode;
  label: string;
  children: ReactNode;
}) {
  if (query.isPending) {
    return (
      <p className="loading" role="status">
        <span className="spinner" aria-hidden="true" /> Loading {label}…
      </p>
    );
  }
  if (query.isError) {
    return <ProblemAlert error={query.error} title={`Could not load ${label}`} onRetry={() => void query.refetch()} />;
  }
  if (isEmpty) {
    return (
      <p className="empty" role="status">
        {empty ?? `No ${label}.`}
      </p>
    );
  }
  return <>{children}</>;
}
