import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { api, type Job } from "../api/client";
import { humanize } from "../lib/format";
import { JOB_STATUS, jobFinished, jobLines } from "../lib/rollouts";
import { LookBadge } from "./LookBadge";
import { ProblemAlert } from "./ProblemAlert";
import { Time } from "./Time";

/**
 * The job an accepted action queued (202): polled until it succeeds or fails, with its log lines.
 * `onFinished` lets the caller refresh what the job changed.
 */
export function JobOutcome({ job, label, onFinished }: { job: Job; label: string; onFinished?: (job: Job) => void }) {
  const q = useQuery({
    queryKey: ["job", job.id],
    queryFn: () => api.jobs.get(job.id),
    initialData: job,
    refetchInterval: (query) => (jobFinished(query.state.data?.status) ? false : 1000),
  });
  const j = q.data ?? job;
  const done = jobFinished(j.status);
  useEffect(() => {
    if (done) onFinished?.(j);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [done]);
  const lines = jobLines(j.log);
  const failed = j.status === "failed";
  return (
    <div
      className={`alert ${failed ? "alert-error" : done ? "alert-success" : "alert-info"} job-outcome`}
      role={failed ? "alert" : "status"}
      data-job={j.id}
      data-job-status={j.status}
    >
      <p className="alert-title">
        <strong>
          {label} ({humanize(j.action) || "job"} job {j.id}):
        </strong>{" "}
        <LookBadge table={JOB_STATUS} value={j.status} />
        {done ? null : <span className="muted"> The engine is applying it; this updates by itself.</span>}
      </p>
      {j.error ? <p>{j.error}</p> : null}
      {lines.length > 0 ? (
        <ol className="job-log small" aria-label={`Log of job ${j.id}`}>
          {lines.map((l, n) => (
            <li key={`${l.at}-${n}`} data-level={l.level}>
              <span className="muted"><Time value={l.at} /></span>{" "}
              {l.level !== "info" ? <strong>{humanize(l.level)}: </strong> : null}
              {l.message}
            </li>
          ))}
        </ol>
      ) : done ? null : (
        <p className="small muted">Waiting for the engine to pick it up…</p>
      )}
      {q.isError ? <ProblemAlert error={q.error} title="Could not read the job" onRetry={() => void q.refetch()} /> : null}
    </div>
  );
}
