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

/** A CAB-note draft a person chose to start from: its fields and the interaction it came from. */
export interface DraftUse {
  interaction: string;
  fields: Record<string, string>;
}

/** The intent page: its risk, and a CAB note drafted from everything recorded about it. */
export function intentAssistantActions(intentId: string): AssistantAction[] {
  return [
    { feature: "explain-risk", label: "Explain risk", body: { intent_id: intentId } },
    { feature: "draft-cab-note", label: "Draft CAB note", body: { intent_id: intentId } },
  ];
}

/** The evidence pack shown (that version, by its id). */
export function evidenceAssistantActions(packId: string): AssistantAction[] {
  return [{ feature: "summarise-evidence", label: "Summarise evidence", body: { pack_id: packId } }];
}

/** The rollout: why its ring stopped (the named ring, else the one holding). */
export function rolloutAssistantActions(intentId: string, ring?: string | null): AssistantAction[] {
  return [
    { feature: "explain-ring", label: "Why did this ring stop?", body: { intent_id: intentId, ...(ring ? { ring } : {}) } },
  ];
}

/** A CAB review: the assessment and the pack version the request was opened on. */
export function cabAssistantActions(request: { assessment: string; evidence_pack: string }): AssistantAction[] {
  return [
    { feature: "explain-risk", label: "Explain risk", body: { assessment_id: request.assessment } },
    { feature: "summarise-evidence", label: "Summarise evidence", body: { pack_id: request.evidence_pack } },
  ];
}

type Run =
  | { state: "idle" }
  | { state: "running"; label: string; text: string }
  | { state: "done"; label: string; answer: AssistantAnswer }
  | { state: "failed"; label: string; error: unknown };

/**
 * The assistant side panel about one subject (the page's intent, evidence pack, rollout or CAB
 * request), with the actions that apply there: one button per feature; the answer streams in as
 * text, then shows its citations as links. A CAB-note draft is shown for the person to edit and
 * submit as their own words; with `onUseDraft`, "Use this draft" hands its fields and interaction
 * to the page's form (nothing is submitted). The assistant only reads: it cannot approve or deploy.
 */
export function AssistantPanel({
  subject,
  actions,
  stream = true,
  onUseDraft,
}: {
  /** What the page is about, e.g. "this intent": names the panel. */
  subject: string;
  actions: AssistantAction[];
  stream?: boolean;
  onUseDraft?: (draft: DraftUse) => void;
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
      <h2 id={headingId}>
        Assistant <span className="small muted">· {subject}</span>
      </h2>
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
                {onUseDraft ? (
                  <button
                    type="button"
                    className="btn btn-primary"
                    onClick={() => onUseDraft({ interaction: answer.interaction, fields: draft })}
                  >
                    Use this draft
                  </button>
                ) : null}
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
