import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, type Artifact, type Intent, type Me } from "../api/client";
import { isApiProblem } from "../api/problem";
import { type Assessment, type Declared, risk } from "../api/risk";
import { useUser } from "../auth/session";
import { platformLabel } from "../lib/catalog";
import { errorId, fieldErrorsOf, fieldId } from "../lib/fields";
import { grantCovers } from "../lib/permissions";
import { DERIVED_FROM, FACTOR_WORDS, MIN_JUSTIFICATION, canReplay, factorName, optionWords, optionsInWords } from "../lib/risk";
import { DataState } from "./DataState";
import { ProblemAlert } from "./ProblemAlert";
import { Table } from "./Table";

/** Packaging Engineers and Security Reviewers whose grant covers the intent's target assess it. */
export function mayAssess(user: Me | null | undefined, intent: Pick<Intent, "target_boundary" | "target_business_unit">): boolean {
  return (
    !!user &&
    user.roles.some(
      (g) => (g.role === "packaging_engineer" || g.role === "security_reviewer") && grantCovers(g, intent.target_boundary, intent.target_business_unit),
    )
  );
}

/**
 * Assess an intent's risk: the declared factors as a form (each rubric option in words, a required
 * justification), the derived ones read-only with where they came from. The server scores it.
 */
export function RiskAssessForm({ intent, onDone }: { intent: Intent; onDone: (row: Assessment) => void }) {
  const queryClient = useQueryClient();
  // The version's artifacts: with several (a Windows MSI and a macOS pkg), the assessor picks whose evidence counts.
  const versions = useQuery({
    queryKey: ["versions", intent.application, "all"],
    queryFn: () => api.versions.list({ application: intent.application, page_size: 200 }),
    enabled: !!intent.application,
  });
  const artifacts = versions.data?.results.find((v) => v.version === intent.version)?.artifacts ?? [];
  const [chosen, setChosen] = useState("");
  const preview = useQuery({
    queryKey: ["risk-preview", intent.id, chosen],
    queryFn: () => risk.preview(intent.id, chosen || undefined),
    placeholderData: keepPreviousData,
  });
  const [declared, setDeclared] = useState<Declared>({});
  const summaryRef = useRef<HTMLDivElement>(null);
  const assess = useMutation({
    mutationFn: () => risk.assess(intent.id, declared, preview.data?.artifact),
    onSuccess: (row) => {
      void queryClient.invalidateQueries({ queryKey: ["risk-assessments"] });
      void queryClient.invalidateQueries({ queryKey: ["intent", intent.id, "history"] });
      onDone(row);
    },
  });
  useEffect(() => {
    if (assess.isError) summaryRef.current?.focus();
  }, [assess.isError]);
  const errors = fieldErrorsOf(isApiProblem(assess.error) ? assess.error : null);
  const set = (name: string, part: "option" | "justification", value: string) =>
    setDeclared((d) => ({ ...d, [name]: { option: "", justification: "", ...d[name], [part]: value } }));

  function submit(e: FormEvent) {
    e.preventDefault();
    assess.mutate();
  }

  return (
    <DataState query={preview} label="what Fleetgate derives for this intent">
      {preview.data ? (
        <form className="form risk-form" onSubmit={submit} aria-labelledby="assess-h" noValidate>
          <h3 id="assess-h">Assess risk (rubric v{preview.data.rubric_version})</h3>
          {assess.isError ? (
            <ProblemAlert ref={summaryRef} error={assess.error} title="The assessment was not recorded" />
          ) : null}
          {artifacts.length > 1 ? (
            <ArtifactChoice
              artifacts={artifacts}
              value={chosen || preview.data.artifact}
              onChange={setChosen}
              errors={errors.get("artifact")}
              loading={preview.isFetching}
            />
          ) : null}
          <h4>Derived by Fleetgate (you cannot change these)</h4>
          <Table
            caption="Derived factors"
            toolbar={false}
            rows={Object.entries(preview.data.derived)}
            rowKey={([name]) => name}
            columns={[
              { label: "Factor", rowHeader: true, cell: ([name]) => factorName(name) },
              { label: "Value", cell: ([, f]) => optionWords(f.option) },
              { label: "Comes from", cell: ([name]) => DERIVED_FROM[name] ?? "recorded evidence" },
              { label: "What was found", cell: ([, f]) => f.rationale },
            ]}
          />
          <h4>Declared by you, with a justification</h4>
          {Object.entries(preview.data.declared).map(([name, spec]) => {
            const choice = declared[name];
            const optionErr = [...(errors.get(`declared.${name}`) ?? []), ...(errors.get(`declared.${name}.option`) ?? [])];
            const whyErr = errors.get(`declared.${name}.justification`) ?? [];
            const whyId = fieldId(`declared.${name}.justification`);
            return (
              <fieldset key={name} className="card risk-factor" data-factor={name} aria-describedby={optionErr.length ? `${whyId}-opt-error` : undefined}>
                <legend>
                  {factorName(name)} <span className="small muted">(weight {spec.weight})</span>
                </legend>
                <p className="hint">{FACTOR_WORDS[name]?.question ?? "Choose the option that fits."}</p>
                {optionsInWords(spec.options).map(([code, words, value]) => (
                  <label key={code} className="check">
                    <input
                      type="radio"
                      name={`factor-${name}`}
                      value={code}
                      required
                      checked={choice?.option === code}
                      onChange={() => set(name, "option", code)}
                    />{" "}
                    {words} <span className="small muted">({value})</span>
                  </label>
                ))}
                {optionErr.length ? (
                  <p className="field-error" id={`${whyId}-opt-error`}>
                    <span aria-hidden="true">⚠ </span>
                    {optionErr.join(" ")}
                  </p>
                ) : null}
                <div className={`field${whyErr.length ? " field-invalid" : ""}`}>
                  <label htmlFor={whyId}>Why this option? (at least {MIN_JUSTIFICATION} characters, recorded with the score)</label>
                  <textarea
                    id={whyId}
                    rows={2}
                    required
                    minLength={MIN_JUSTIFICATION}
                    aria-invalid={whyErr.length ? true : undefined}
                    aria-describedby={whyErr.length ? `${whyId}-error` : undefined}
                    value={choice?.justification ?? ""}
                    onChange={(e) => set(name, "justification", e.target.value)}
                  />
                  {whyErr.length ? (
                    <p className="field-error" id={`${whyId}-error`}>
                      <span aria-hidden="true">⚠ </span>
                      {whyErr.join(" ")}
                    </p>
                  ) : null}
                </div>
              </fieldset>
            );
          })}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={assess.isPending}>
              {assess.isPending ? "Scoring…" : "Record the assessment"}
            </button>
            <span className="small muted">Fleetgate computes the score from these choices and the derived factors; nobody types a score.</span>
          </div>
        </form>
      ) : null}
    </DataState>
  );
}

/** Which artifact's evidence the derived factors come from: each by file name and platform. */
function ArtifactChoice({
  artifacts,
  value,
  onChange,
  errors,
  loading,
}: {
  artifacts: Artifact[];
  value: string;
  onChange: (id: string) => void;
  errors?: string[];
  loading: boolean;
}) {
  const id = fieldId("artifact");
  return (
    <fieldset id={id} className={`checks${errors?.length ? " field-invalid" : ""}`} aria-describedby={errors?.length ? errorId("artifact") : `${id}-hint`}>
      <legend>Evidence from the artifact</legend>
      <p className="hint" id={`${id}-hint`}>
        This version has {artifacts.length} artifacts; the derived factors come from the evidence of the one you choose.
        {loading ? " Reading its evidence…" : ""}
      </p>
      {artifacts.map((a) => (
        <label key={a.id} className="check">
          <input type="radio" name="risk-artifact" value={a.id} checked={value === a.id} onChange={() => onChange(a.id)} /> {a.filename}{" "}
          <span className="small muted">({platformLabel(a.platform)})</span>
        </label>
      ))}
      {errors?.length ? (
        <p className="field-error" id={errorId("artifact")}>
          <span aria-hidden="true">⚠ </span>
          {errors.join(" ")}
        </p>
      ) : null}
    </fieldset>
  );
}

/** Recompute an assessment from its stored inputs and rubric, and say whether it matches. */
export function ReplayAssessment({ assessment }: { assessment: Assessment }) {
  const user = useUser();
  const replay = useMutation({ mutationFn: () => risk.replay(assessment.id) });
  if (!canReplay(user)) {
    return <p className="small muted">Replaying an assessment is for Auditors, Security Reviewers, CAB Approvers and Platform Admins.</p>;
  }
  return (
    <div className="replay">
      <button type="button" className="btn" onClick={() => replay.mutate()} disabled={replay.isPending}>
        {replay.isPending ? "Replaying…" : "Replay this assessment"}
      </button>
      {replay.data ? (
        <p className="alert alert-success" role="status">
          Replayed from the stored inputs: score {replay.data.score} (raw {replay.data.raw}), the same as recorded.
        </p>
      ) : null}
      {replay.isError ? <ProblemAlert error={replay.error} title="The replay does not match" /> : null}
    </div>
  );
}

/**
 * The risk section's actions on the intent screen: assess (for those who may, else why not) and
 * replay the latest assessment.
 */
export function RiskActions({ intentId, latest }: { intentId: string; latest?: Assessment }) {
  const user = useUser();
  const intent = useQuery({ queryKey: ["intent", intentId], queryFn: () => api.intents.get(intentId) });
  const [open, setOpen] = useState(false);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const i = intent.data;
  if (!i) return null;
  const may = mayAssess(user, i);
  const final = ["completed", "cancelled", "rejected", "rolled_back", "failed"].includes(i.state ?? "");
  return (
    <div className="risk-actions">
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      {latest ? <ReplayAssessment assessment={latest} /> : null}
      {!may ? (
        <p className="small muted" data-testid="assess-why-not">
          Risk is assessed by a Packaging Engineer or Security Reviewer whose role covers {i.target_boundary} / {i.target_business_unit};
          you can read the assessment and how it was scored.
        </p>
      ) : final ? (
        <p className="small muted">This intent is finished; its assessment stays as it was recorded.</p>
      ) : open ? (
        <RiskAssessForm
          intent={i}
          onDone={(row) => {
            setOpen(false);
            setNotice(`Assessed: risk ${row.score} of 100 under rubric v${row.rubric_version}; ${row.cab_required ? "CAB approval is required" : "no CAB approval is required"}.`);
          }}
        />
      ) : (
        <button type="button" className="btn btn-primary" onClick={() => setOpen(true)}>
          {latest ? "Assess again…" : "Assess risk…"}
        </button>
      )}
    </div>
  );
}
