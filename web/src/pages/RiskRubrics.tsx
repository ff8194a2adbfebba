import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { isApiProblem } from "../api/problem";
import { type RiskModel, risk } from "../api/risk";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { ReasonDialog } from "../components/ReasonDialog";
import { Table } from "../components/Table";
import { fieldErrorsOf } from "../lib/fields";
import { Time } from "../components/Time";
import { type Look, lookOf } from "../lib/governance";
import { RUBRIC_STATE, canProposeRubric, factorName, optionsInWords, rubricReviewBarrier } from "../lib/risk";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const STATES = RUBRIC_STATE as Record<string, Look>;

/** A rubric version's factors in words: weight, derived or declared, every option with its value. */
function RubricFactors({ model }: { model: RiskModel }) {
  const factors = Object.entries(obj(obj(model.document).factors)).map(([name, spec]) => [name, obj(spec)] as const);
  const thresholds = obj(obj(model.document).thresholds);
  return (
    <>
      <p>
        A score above <strong>{String(thresholds.automated_max ?? "—")}</strong> needs CAB approval before{" "}
        {String(thresholds.cab_required_before_ring ?? "pilot")}
        {thresholds.privileged_tooling_always_cab === false ? "." : "; privileged tooling always needs CAB."}
      </p>
      <Table
        caption={`Factors of rubric v${model.version}`}
        toolbar={false}
        rows={factors}
        rowKey={([name]) => name}
        columns={[
          { label: "Factor", rowHeader: true, cell: ([name]) => factorName(name) },
          { label: "Weight", className: "num", cell: ([, spec]) => String(spec.weight ?? "—") },
          { label: "Set by", cell: ([, spec]) => (spec.derived ? "Derived by Fleetgate from evidence" : "Declared by a person, with a justification") },
          {
            label: "Options (value)",
            cell: ([, spec]) => (
              <ul className="plain">
                {optionsInWords(obj(spec.options) as Record<string, string>).map(([code, words, value]) => (
                  <li key={code} title={code}>
                    {words} ({value})
                  </li>
                ))}
              </ul>
            ),
          },
        ]}
      />
    </>
  );
}

function nextVersion(version: string): string {
  const [major, minor] = version.split(".");
  return `${major}.${Number(minor ?? 0) + 1}`;
}

function ProposeForm({ base, onDone }: { base: RiskModel; onDone: (m: RiskModel) => void }) {
  const [text, setText] = useState(() => JSON.stringify({ ...obj(base.document), version: nextVersion(base.version) }, null, 2));
  const [reason, setReason] = useState("");
  const [parseError, setParseError] = useState("");
  const alertRef = useRef<HTMLDivElement>(null);
  const propose = useMutation({
    mutationFn: (document: Obj) => risk.propose(document, reason),
    onSuccess: onDone,
  });
  useEffect(() => {
    if (propose.isError) alertRef.current?.focus();
  }, [propose.isError]);
  const errors = fieldErrorsOf(isApiProblem(propose.error) ? propose.error : null);
  function submit(e: FormEvent) {
    e.preventDefault();
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      setParseError(`This is not valid JSON: ${(err as Error).message}. Fix the text and propose again.`);
      return;
    }
    setParseError("");
    propose.mutate(obj(document));
  }
  const documentErrors = [...errors.entries()].filter(([path]) => path !== "reason");
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="propose-h">
      <h2 id="propose-h">Propose a new version</h2>
      <p className="hint">
        Start from v{base.version}: change weights, options or thresholds and give the new version number. A CAB Approver other than you
        approves it; it is then scored in parallel with the active version until activated.
      </p>
      {propose.isError ? <ProblemAlert ref={alertRef} error={propose.error} title="The proposal was not recorded" /> : null}
      {documentErrors.length ? (
        <ul className="field-error" aria-label="Problems in the rubric document">
          {documentErrors.map(([path, messages]) => (
            <li key={path}>
              <code>{path}</code>: {messages.join(" ")}
            </li>
          ))}
        </ul>
      ) : null}
      <div className={`field${parseError || documentErrors.length ? " field-invalid" : ""}`}>
        <label htmlFor="rubric-document">Rubric document (JSON)</label>
        <textarea
          id="rubric-document"
          rows={14}
          className="mono"
          spellCheck={false}
          value={text}
          aria-invalid={parseError ? true : undefined}
          aria-describedby={parseError ? "rubric-document-error" : undefined}
          onChange={(e) => setText(e.target.value)}
        />
        {parseError ? (
          <p className="field-error" id="rubric-document-error">
            {parseError}
          </p>
        ) : null}
      </div>
      <div className={`field${errors.get("reason") ? " field-invalid" : ""}`}>
        <label htmlFor="rubric-reason">Why change the rubric? (recorded in the ledger)</label>
        <textarea id="rubric-reason" rows={2} required value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={propose.isPending}>
          {propose.isPending ? "Proposing…" : "Propose this version"}
        </button>
      </div>
    </form>
  );
}

type Review = { model: RiskModel; action: "approve" | "activate" | "reject" };

/** What each review does, in the confirmation dialog's words. */
function reviewWords(r: Review): { title: string; confirm: string; label: string; body: string } {
  const v = r.model.version;
  if (r.action === "approve")
    return {
      title: `Approve rubric v${v}?`,
      confirm: "Approve for parallel scoring",
      label: "Note (recorded in the ledger)",
      body: `From now on every assessment is also scored with v${v}, side by side with the active version; the active score still counts.`,
    };
  if (r.action === "activate")
    return {
      title: `Activate rubric v${v}?`,
      confirm: "Activate this version",
      label: "Note (recorded in the ledger)",
      body: `v${v} becomes the rubric whose score counts; the active version retires. Earlier assessments keep their rubric.`,
    };
  return {
    title: `Reject rubric v${v}?`,
    confirm: "Reject this version",
    label: "Why is it rejected? (recorded in the ledger)",
    body:
      r.model.state === "parallel"
        ? `v${v} stops being scored in parallel and never counts; the active version stays. Assessments already scored with it keep their record.`
        : `v${v} is never scored; the active version stays. A Security Reviewer can propose a new version instead.`,
  };
}

/** The reviews this person may start on a version, and why not when none (separation of duties, role). */
function ReviewActions({ m, barrier, onReview }: { m: RiskModel; barrier: string | null; onReview: (r: Review) => void }) {
  const action = m.state === "proposed" ? "approve" : m.state === "parallel" ? "activate" : null;
  if (!action) return null;
  if (barrier) return <span className="small muted">{barrier}</span>;
  return (
    <>
      <button type="button" className="btn btn-small btn-primary" onClick={() => onReview({ model: m, action })}>
        {action === "approve" ? `Approve v${m.version}…` : `Activate v${m.version}…`}
      </button>{" "}
      <button type="button" className="btn btn-small btn-danger" onClick={() => onReview({ model: m, action: "reject" })}>
        Reject v{m.version}…
      </button>
    </>
  );
}

/** The proposer's reason and, for a rejected version, who rejected it and why. */
function WhyCell({ m }: { m: RiskModel }) {
  return (
    <>
      {m.reason || "—"}
      {m.state === "rejected" && m.rejection_reason ? (
        <p className="small">
          Rejected{m.rejected_by ? ` by ${m.rejected_by}` : ""}: {m.rejection_reason}
        </p>
      ) : null}
    </>
  );
}

/** Rubric versions: what each scores and how, and their governed life (propose, approve, activate, reject). */
export function RiskRubrics() {
  const user = useUser();
  const queryClient = useQueryClient();
  const models = useQuery({ queryKey: ["risk-models"], queryFn: risk.models });
  const [shown, setShown] = useState<string | null>(null);
  const [review, setReview] = useState<Review | null>(null);
  const [proposing, setProposing] = useState(false);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const decideAlertRef = useRef<HTMLDivElement>(null);
  const decide = useMutation({
    mutationFn: ({ r, reason }: { r: Review; reason: string }) => risk[r.action](r.model.version, reason),
    onSuccess: (m) => {
      setReview(null);
      setNotice(`Rubric v${m.version} is now: ${lookOf(STATES, m.state).label}.`);
      void queryClient.invalidateQueries({ queryKey: ["risk-models"] });
    },
    onError: () => {
      setReview(null);
      void queryClient.invalidateQueries({ queryKey: ["risk-models"] });
    },
  });
  useEffect(() => {
    if (decide.isError) decideAlertRef.current?.focus();
  }, [decide.isError]);
  const words = review ? reviewWords(review) : null;
  const rows = models.data ?? [];
  const active = rows.find((m) => m.state === "active");
  const selected = rows.find((m) => m.version === (shown ?? active?.version));
  const mayPropose = canProposeRubric(user);

  return (
    <Page
      title="Risk rubric versions"
      subtitle="How risk is scored: every version, the one that counts, and proposals under review."
      actions={
        mayPropose && active && !proposing ? (
          <button type="button" className="btn btn-primary" onClick={() => setProposing(true)}>
            Propose a new version…
          </button>
        ) : null
      }
    >
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      {!mayPropose ? (
        <p className="small muted">A Security Reviewer proposes rubric changes; a CAB Approver other than the proposer approves and activates them.</p>
      ) : null}
      {proposing && active ? (
        <ProposeForm
          base={active}
          onDone={(m) => {
            setProposing(false);
            setShown(m.version);
            setNotice(`Proposed rubric v${m.version}; a CAB Approver reviews it next.`);
            void queryClient.invalidateQueries({ queryKey: ["risk-models"] });
          }}
        />
      ) : null}
      {decide.isError ? <ProblemAlert ref={decideAlertRef} error={decide.error} title="The review was not recorded" /> : null}
      <DataState query={models} label="rubric versions" isEmpty={rows.length === 0} empty="No rubric is loaded yet.">
        <Table
          caption="Rubric versions"
          id="risk-models"
          rows={rows}
          rowKey={(m) => m.version}
          rowData={(m) => ({ "data-version": m.version, "data-state": m.state })}
          columns={[
            { label: "Version", rowHeader: true, value: (m) => m.version, cell: (m) => `v${m.version}` },
            { label: "State", value: (m) => lookOf(STATES, m.state).label, cell: (m) => <LookBadge table={STATES} value={m.state} /> },
            { label: "Why", cell: (m) => <WhyCell m={m} /> },
            { label: "Proposed by", cell: (m) => m.proposed_by ?? "Loaded with Fleetgate" },
            { label: "Approved by", cell: (m) => m.approved_by ?? "—" },
            { label: "Loaded", value: (m) => m.loaded_at, cell: (m) => <Time value={m.loaded_at} /> },
            {
              label: "Review",
              data: false,
              cell: (m) => (
                <span className="actions">
                  <button type="button" className="btn btn-small" onClick={() => setShown(m.version)} aria-pressed={selected?.version === m.version}>
                    Show v{m.version}
                  </button>{" "}
                  <ReviewActions
                    m={m}
                    barrier={rubricReviewBarrier(user, m.proposed_by)}
                    onReview={(r) => {
                      decide.reset();
                      setReview(r);
                    }}
                  />
                </span>
              ),
            },
          ]}
        />
        {selected ? (
          <section aria-labelledby="rubric-h">
            <h2 id="rubric-h">Rubric v{selected.version}</h2>
            <p className="small muted">
              <code className="digest">sha256:{selected.sha256}</code>
            </p>
            <RubricFactors model={selected} />
          </section>
        ) : null}
      </DataState>
      <ReasonDialog
        open={!!review}
        title={words?.title ?? ""}
        confirmLabel={words?.confirm ?? ""}
        reasonLabel={words?.label}
        danger={review?.action === "reject"}
        busy={decide.isPending}
        onClose={() => setReview(null)}
        onConfirm={(reason) => review && decide.mutate({ r: review, reason })}
      >
        {words ? <p>{words.body}</p> : null}
      </ReasonDialog>
    </Page>
  );
}
