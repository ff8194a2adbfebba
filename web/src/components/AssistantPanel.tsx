import { Fragment, useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";
import { api, type AssistantAnswer, type AssistantBody, type AssistantFeature } from "../api/client";
import { humanize } from "../lib/format";
import { ProblemAlert } from "./ProblemAlert";

export interface AssistantAction {
  feature: AssistantFeature;
  /** The button's words, e.g. "Explain risk". */
  label: string;
  body: AssistantBody;
}

export const DRAFT_NOTICE = "Drafted with the assistant; edit it and submit it as your own.";

/** The actions the intent page offers, all about one intent. */
export function intentAssistantActions(intentId: string, ring?: string | null): AssistantAction[] {
  return [
    { feature: "explain-risk", label: "Explain risk", body: { intent_id: intentId } },
    { feature: "summarise-evidence", label: "Summarise evidence", body: { intent_id: intentId } },
    { feature: "draft-cab-note", label: "Draft CAB note", body: { intent_id: intentId } },
    { feature: "explain-ring", label: "Why did this ring stop?", body: { intent_id: intentId, ...(ring ? { ring } : {}) } },
  ];
}

type Run =
  | { state: "idle" }
  | { state: "running"; label: string; text: string }
  | { state: "done"; label: string; answer: AssistantAnswer }
  | { state: "failed"; label: string; error: unknown };

/**
 * The assistant side panel: one button per feature; the answer streams in as text, then shows its
 * citations as links. A CAB-note draft is shown for the person to copy, edit and submit as their
 * own words; nothing is filled into any form. The assistant only reads: it cannot approve or deploy.
 */
export function AssistantPanel({
  actions,
  stream = true,
  title = "Assistant",
}: {
  actions: AssistantAction[];
  stream?: boolean;
  title?: string;
}) {
  const headingId = useId();
  const [run, setRun] = useState<Run>({ state: "idle" });
  const seq = useRef(0);
  const alertRef = useRef<HTMLDivElement>(null);
  useEffect(() => () => void (seq.current += 1), []);
  useEffect(() => {
    if (run.state === "failed") alertRef.current?.focus();
  }, [run.state]);

  const ask = async (a: AssistantAction) => {
    const mine = ++seq.current;
    setRun({ state: "running", label: a.label, text: "" });
    try {
      const answer = stream
        ? await api.assistant.stream(a.feature, a.body, (delta) => {
            if (seq.current === mine) setRun((r) => (r.state === "running" ? { ...r, text: r.text + delta } : r));
          })
        : await api.assistant.ask(a.feature, a.body);
      if (seq.current === mine) setRun({ state: "done", label: a.label, answer });
    } catch (error) {
      if (seq.current === mine) setRun({ state: "failed", label: a.label, error });
    }
  };

  const busy = run.state === "running";
  const answer = run.state === "done" ? run.answer : null;
  const draft = answer?.draft && Object.keys(answer.draft).length > 0 ? answer.draft : null;
  return (
    <aside className="card assistant-panel" aria-labelledby={headingId} data-assistant>
      <h2 id={headingId}>{title}</h2>
      <p className="small muted">
        Explains and drafts from the records it cites. It reads only: it cannot approve, deploy or change anything.
      </p>
      <div className="assistant-actions" role="group" aria-label="Ask the assistant">
        {actions.map((a) => (
          <button key={a.feature} type="button" className="btn" disabled={busy} onClick={() => void ask(a)}>
            {a.label}
          </button>
        ))}
      </div>
      <div className="assistant-output" aria-live="polite" aria-busy={busy || undefined}>
        {run.state === "running" ? (
          <>
            <h3>{run.label}</h3>
            {run.text ? (
              <p className="assistant-text">{run.text}</p>
            ) : (
              <p className="loading" role="status">
                <span className="spinner" aria-hidden="true" /> The assistant is reading the records…
              </p>
            )}
          </>
        ) : null}
        {run.state === "failed" ? (
          <ProblemAlert ref={alertRef} error={run.error} title={`The assistant could not answer “${run.label}”`} />
        ) : null}
        {answer && run.state === "done" ? (
          <article aria-label={run.label} data-feature={answer.feature}>
            <h3>{run.label}</h3>
            {draft ? (
              <p className="alert alert-info" role="note" data-draft-notice>
                {DRAFT_NOTICE}
              </p>
            ) : null}
            {answer.text.split(/\n{2,}/).map((para, n) => (
              <p key={n} className="assistant-text">
                {para}
              </p>
            ))}
            {draft ? (
              <section aria-label="Draft CAB note">
                <h4>Draft</h4>
                <dl className="facts">
                  {Object.entries(draft).map(([field, value]) => (
                    <Fragment key={field}>
                      <dt>{humanize(field)}</dt>
                      <dd className="assistant-text">{value || "—"}</dd>
                    </Fragment>
                  ))}
                </dl>
              </section>
            ) : null}
            <h4>Sources</h4>
            {answer.citations.length > 0 ? (
              <ul className="assistant-citations" aria-label="Sources cited">
                {answer.citations.map((c) => (
                  <li key={`${c.type}-${c.id}`}>
                    {c.link.startsWith("/") ? <Link to={c.link}>{c.title}</Link> : <span>{c.title}</span>}{" "}
                    <span className="small muted">
                      ({humanize(c.type)} {c.id})
                    </span>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="small muted">The answer cites no record.</p>
            )}
            <p className="small muted">
              {answer.provider} · {answer.model} · {answer.tokens_in} tokens in, {answer.tokens_out} out
              {Object.values(answer.scrubbed ?? {}).some((n) => n > 0)
                ? ` · ${Object.values(answer.scrubbed).reduce((a, b) => a + b, 0)} personal or secret values removed before sending`
                : ""}
            </p>
          </article>
        ) : null}
      </div>
    </aside>
  );
}
