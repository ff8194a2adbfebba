import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { api, type Me } from "../api/client";
import { isApiProblem } from "../api/problem";
import { fieldErrorsOf } from "../lib/fields";
import { humanize } from "../lib/format";
import { grantCovers } from "../lib/permissions";
import type { DraftUse } from "./AssistantPanel";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

export const SUBMISSION_FIELDS = ["summary", "justification", "impact", "test_summary", "backout_plan"] as const;
type Fields = Record<(typeof SUBMISSION_FIELDS)[number], string>;
const EMPTY: Fields = { summary: "", justification: "", impact: "", test_summary: "", backout_plan: "" };
const FINISHED = new Set(["completed", "rolled_back", "rejected", "cancelled", "failed"]);

/** A Packaging Engineer over the intent's scope writes its CAB submission while the change is on its way. */
export function mayWriteSubmission(
  user: Me | null | undefined,
  intent: { state?: string | null; target_boundary: string; target_business_unit: string },
): boolean {
  if (FINISHED.has(intent.state ?? "draft")) return false;
  return !!user?.roles.some(
    (g) => g.role === "packaging_engineer" && grantCovers(g, intent.target_boundary, intent.target_business_unit),
  );
}

/**
 * The CAB submission (the change narrative the board reads) for one intent. Started from an assistant
 * draft, the form is filled with it and the submission records the interaction it came from
 * (`drafted_with`); the person edits it and submits it as their own.
 */
export function CabSubmissionForm({
  intentId,
  draft,
  onDiscardDraft,
}: {
  intentId: string;
  draft?: DraftUse | null;
  onDiscardDraft?: () => void;
}) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [draftedWith, setDraftedWith] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  const firstRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!draft) return;
    setFields({ ...EMPTY, ...Object.fromEntries(SUBMISSION_FIELDS.map((f) => [f, draft.fields[f] ?? ""])) });
    setDraftedWith(draft.interaction);
    setSaved(null);
    firstRef.current?.focus();
  }, [draft]);

  const save = useMutation({
    onMutate: () => setSaved(null),
    mutationFn: () => api.cabSubmissions.create({ intent: intentId, ...fields, drafted_with: draftedWith }),
    onSuccess: (row) => {
      setSaved(
        `CAB submission v${row.version} saved${row.drafted_with ? ", recorded as drafted with the assistant" : ""}.`,
      );
      setFields(EMPTY);
      setDraftedWith(null);
      void queryClient.invalidateQueries({ queryKey: ["cab-requests"] });
      void queryClient.invalidateQueries({ queryKey: ["intent", intentId, "history"] });
    },
  });
  useEffect(() => {
    if (save.error) alertRef.current?.focus();
  }, [save.error]);
  const errors = fieldErrorsOf(isApiProblem(save.error) ? save.error : null);

  const discard = () => {
    setFields(EMPTY);
    setDraftedWith(null);
    onDiscardDraft?.();
  };

  return (
    <section aria-labelledby={headingId} className="card">
      <h2 id={headingId}>CAB submission</h2>
      <p className="small muted">What the board reads about this change. A new submission supersedes the previous one.</p>
      {saved ? (
        <p className="alert alert-success" role="status">
          {saved}
        </p>
      ) : null}
      {draftedWith ? (
        <p className="alert alert-info" role="note" data-drafted-with={draftedWith}>
          Drafted with the assistant; edit it and submit it as your own. The submission records the draft it came
          from.{" "}
          <button type="button" className="btn" onClick={discard}>
            Write without the draft
          </button>
        </p>
      ) : null}
      {save.error ? <ProblemAlert ref={alertRef} error={save.error} title="The CAB submission was not saved" /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        {SUBMISSION_FIELDS.map((name, n) => (
          <Field key={name} path={name} label={humanize(name)} errors={errors.get(name)}>
            {(props) => (
              <textarea
                {...props}
                ref={n === 0 ? firstRef : undefined}
                rows={3}
                value={fields[name]}
                onChange={(e) => setFields((f) => ({ ...f, [name]: e.target.value }))}
              />
            )}
          </Field>
        ))}
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save CAB submission
        </button>
      </form>
    </section>
  );
}
