import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, type Intent } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { groups } from "../api/groups";
import { DataState } from "../components/DataState";
import { Field } from "../components/Field";
import { GroupPicker } from "../components/GroupPicker";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { errorId, fieldId } from "../lib/fields";
import { humanize, stringList } from "../lib/format";
import { ringNames } from "../lib/intents";
import { canPublish } from "../lib/permissions";
import { intentTargets } from "../lib/catalog";
import { ScopeSelect } from "../components/ScopeSelect";
import { NotAllowed } from "./NotFound";
import {
  SITE_CLASSES,
  STRATEGIES,
  anchorFor,
  draftFromIntent,
  emptyDraft,
  labelFor,
  newStep,
  toWriteBody,
  type IntentDraft,
  type StepDraft,
} from "../lib/intentDraft";

export function IntentForm() {
  const { id } = useParams();
  const editing = !!id;
  const user = useUser();
  const existing = useQuery({
    queryKey: ["intent", id],
    queryFn: () => api.intents.get(id ?? ""),
    enabled: editing,
  });
  if (!canPublish(user)) return <NotAllowed need="Publisher" />;
  if (!editing) return <IntentFormBody />;
  return (
    <DataState query={existing} label="the intent">
      {/* A new ETag (after "reload the latest version") starts the form afresh from the server's copy. */}
      {existing.data ? (
        <IntentFormBody key={existing.data.etag} intent={existing.data} onReload={() => existing.refetch()} />
      ) : null}
    </DataState>
  );
}

function IntentFormBody({ intent, onReload }: { intent?: Intent; onReload?: () => unknown }) {
  const editing = !!intent;
  const user = useUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<IntentDraft>(() => (intent ? draftFromIntent(intent) : emptyDraft()));
  const summaryRef = useRef<HTMLDivElement>(null);
  const addRingRef = useRef<HTMLButtonElement>(null);
  // After adding or removing a ring step, put focus where the person continues.
  const [focusAfter, setFocusAfter] = useState<{ step: number } | "add" | null>(null);
  useEffect(() => {
    if (focusAfter === "add") addRingRef.current?.focus();
    else if (focusAfter) document.getElementById(fieldId(`ring_plan[${focusAfter.step}].ring`))?.focus();
    setFocusAfter(null);
  }, [focusAfter]);
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const versions = useQuery({
    queryKey: ["versions", draft.application, "all"],
    queryFn: () => api.versions.list({ application: draft.application, page_size: 200 }),
    enabled: !!draft.application,
  });
  const policies = useQuery({ queryKey: ["ring-policies"], queryFn: api.ringPolicies.list, staleTime: 300_000 });
  // The planes serving the application here: each ring step picks its group from their groups.
  const app = (apps.data ?? []).find((a) => a.id === draft.application);
  const platforms = app ? stringList(app.platforms) : [];
  const boundary = draft.target_boundary.trim() || app?.boundary || "";
  const sources = useQuery({
    queryKey: ["group-sources", platforms, boundary],
    queryFn: () => groups.sources(platforms, boundary),
    enabled: !!app,
    staleTime: 60_000,
  });
  const planes = sources.data ?? [];
  const rings = ringNames(policies.data);
  // The target may only be where the application's scope and the publisher's grants meet.
  const targets = intentTargets(user, app, apps.data ?? []);
  const unitHint = !app
    ? undefined
    : targets.openUnits
      ? "Fleetgate knows no business unit by name here yet; type the one this change is for."
      : targets.boundaries.length && !targets.businessUnits.length
        ? `Your publisher grants in ${app.boundary} cover none of ${app.name}'s business units (${stringList(app.business_units).join(", ")}), so you cannot target it.`
        : undefined;
  /** A new application: its versions load afresh, and the target moves to what it allows. */
  function chooseApplication(id: string) {
    const chosen = (apps.data ?? []).find((a) => a.id === id);
    const next = intentTargets(user, chosen, apps.data ?? []);
    setDraft((d) => ({
      ...d,
      application: id,
      version: "",
      target_boundary: next.boundaries[0] ?? "",
      target_business_unit: next.businessUnits.includes(d.target_business_unit)
        ? d.target_business_unit
        : next.businessUnits.length === 1
          ? (next.businessUnits[0] ?? "")
          : "",
    }));
  }

  const save = useMutation({
    mutationFn: async (d: IntentDraft) => {
      const body = toWriteBody(d);
      if (!intent) return api.intents.create(body);
      const { name: _n, application: _a, ...changes } = body;
      return api.intents.update(intent.id, intent.etag, changes);
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(["intent", saved.id], saved);
      void queryClient.invalidateQueries({ queryKey: ["intents"] });
      void queryClient.invalidateQueries({ queryKey: ["intent", saved.id, "history"] });
      void queryClient.invalidateQueries({ queryKey: ["dashboard"] });
      navigate(`/intents/${saved.id}`, { state: { notice: editing ? "Draft saved." : "Draft created." } });
    },
  });

  const problem = save.error instanceof ApiProblem ? save.error : null;
  const errors = problem?.fieldErrors() ?? new Map<string, string[]>();
  const err = (path: string) => errors.get(path);
  const placed = new Set<string>([
    "name",
    "title",
    "change_reason",
    "application",
    "version",
    "target_boundary",
    "target_business_unit",
    "target_site_classes",
    "ring_plan",
    "rollback_plan",
    "rollback_plan.strategy",
    "rollback_plan.rollback_version",
  ]);
  draft.ring_plan.forEach((_, i) => {
    for (const f of ["", ".ring", ".target_group", ".device_count", ".not_before"]) placed.add(`ring_plan[${i}]${f}`);
    for (const p of planes.slice(1)) placed.add(`ring_plan[${i}].target_groups.${p.name}`);
  });
  draft.target_site_classes.forEach((_, i) => placed.add(`target_site_classes[${i}]`));
  if (editing) {
    placed.delete("name");
    placed.delete("application");
  }
  const siteErrors = [...errors.entries()]
    .filter(([p]) => p === "target_site_classes" || p.startsWith("target_site_classes["))
    .flatMap(([, m]) => m);
  const rollbackErrors = err("rollback_plan");

  useEffect(() => {
    if (save.isError) summaryRef.current?.focus();
  }, [save.isError, save.error]);

  const set = <K extends keyof IntentDraft>(key: K, value: IntentDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const setStep = (index: number, patch: Partial<StepDraft>) =>
    setDraft((d) => ({ ...d, ring_plan: d.ring_plan.map((s, i) => (i === index ? { ...s, ...patch } : s)) }));
  const nextRing = () => {
    const used = new Set(draft.ring_plan.map((s) => s.ring));
    return rings.find((r) => !used.has(r)) ?? rings[rings.length - 1] ?? "lab";
  };

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    save.mutate(draft);
  }

  const isValidation = problem?.code === "validation-error";
  const title = editing ? `Edit draft: ${intent.title}` : "New intent";
  return (
    <Page title={title} subtitle="A draft can be edited until it is submitted. Every save is recorded in the ledger.">
      <p>
        <Link to={editing ? `/intents/${intent.id}` : "/intents"}>← Back without saving</Link>
      </p>
      {save.isError ? (
        isValidation ? (
          <div ref={summaryRef} className="alert alert-error error-summary" role="alert" tabIndex={-1} data-code={problem?.code}>
            <p className="alert-title">
              <strong>
                Fix {problem.errors.length} {problem.errors.length === 1 ? "problem" : "problems"} and save again
              </strong>
            </p>
            <ul>
              {problem.errors.map((e) => (
                <li key={`${e.field}-${e.rule}-${e.message}`}>
                  {placed.has(e.field) ? <a href={`#${anchorFor(e.field)}`}>{labelFor(e.field)}</a> : <code>{e.field}</code>}:{" "}
                  {e.message}
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <>
            <ProblemAlert ref={summaryRef} error={save.error} title={problem ? `${problem.title}` : "Could not save"} />
            {problem?.code === "stale-etag" && onReload ? (
              <p>
                <button type="button" className="btn" onClick={() => void onReload()}>
                  Reload the latest version (discards your edits)
                </button>
              </p>
            ) : null}
          </>
        )
      ) : null}
      <form className="form" onSubmit={onSubmit} noValidate aria-label={title}>
        <fieldset>
          <legend>What</legend>
          {!editing ? (
            <Field path="name" label="Name (unique slug)" errors={err("name")} hint="Lowercase letters, digits and hyphens, e.g. firefox-128-6-finance.">
              {(p) => (
                <input {...p} name="name" value={draft.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" spellCheck={false} />
              )}
            </Field>
          ) : null}
          <Field path="title" label="Title" errors={err("title")}>
            {(p) => <input {...p} name="title" value={draft.title} onChange={(e) => set("title", e.target.value)} />}
          </Field>
          {!editing ? (
            <Field path="application" label="Application" errors={err("application")}>
              {(p) => (
                <select
                  {...p}
                  name="application"
                  value={draft.application}
                  onChange={(e) => chooseApplication(e.target.value)}
                >
                  <option value="">{apps.isPending ? "Loading applications…" : "Choose an application"}</option>
                  {(apps.data ?? []).map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name} ({a.boundary}: {stringList(a.business_units).join(", ")})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : (
            <div className="field">
              <span className="label">Application</span>
              <p>{intent.application_name}</p>
            </div>
          )}
          <Field path="version" label="Version" errors={err("version")}>
            {(p) => (
              <select {...p} name="version" value={draft.version} onChange={(e) => set("version", e.target.value)} disabled={!draft.application}>
                <option value="">{draft.application ? "Choose a version" : "Choose an application first"}</option>
                {(versions.data?.results ?? []).map((v) => (
                  <option key={v.id} value={v.version}>
                    {v.version}
                  </option>
                ))}
                {draft.version && !(versions.data?.results ?? []).some((v) => v.version === draft.version) ? (
                  <option value={draft.version}>{draft.version}</option>
                ) : null}
              </select>
            )}
          </Field>
          <Field path="change_reason" label="Change reason" errors={err("change_reason")}>
            {(p) => (
              <textarea {...p} name="change_reason" rows={3} value={draft.change_reason} onChange={(e) => set("change_reason", e.target.value)} />
            )}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Target scope</legend>
          <p className="hint">The choices are where the application's scope and your publisher grants meet.</p>
          <div className="row">
            <ScopeSelect
              path="target_boundary"
              name="target_boundary"
              label="Boundary"
              value={draft.target_boundary}
              onChange={(v) => set("target_boundary", v)}
              options={targets.boundaries}
              placeholder={!app ? (editing && apps.isPending ? "Loading…" : "Choose an application first") : targets.boundaries.length ? "Choose a boundary" : "None in your scope"}
              disabled={!app || (!targets.boundaries.length && !draft.target_boundary)}
              errors={err("target_boundary")}
              hint={app && !targets.boundaries.length ? `None of your publisher grants covers ${app.name}'s boundary (${app.boundary}), so you cannot target it. Choose another application, or ask a Platform Admin for a Publisher role there.` : undefined}
            />
            <ScopeSelect
              path="target_business_unit"
              name="target_business_unit"
              label="Business unit"
              value={draft.target_business_unit}
              onChange={(v) => set("target_business_unit", v)}
              options={targets.businessUnits}
              placeholder={!app ? (editing && apps.isPending ? "Loading…" : "Choose an application first") : targets.businessUnits.length ? "Choose a business unit" : "None in your scope"}
              disabled={!app || (!targets.businessUnits.length && !targets.openUnits && !draft.target_business_unit)}
              freeText={targets.openUnits}
              errors={err("target_business_unit")}
              hint={unitHint}
            />
          </div>
          <fieldset
            className={`checks${siteErrors.length ? " field-invalid" : ""}`}
            id={fieldId("target_site_classes")}
            aria-describedby={siteErrors.length ? errorId("target_site_classes") : undefined}
          >
            <legend>Site classes</legend>
            {SITE_CLASSES.map((s) => (
              <label key={s.value} className="check">
                <input
                  type="checkbox"
                  name="target_site_classes"
                  value={s.value}
                  checked={draft.target_site_classes.includes(s.value)}
                  onChange={(e) =>
                    set(
                      "target_site_classes",
                      e.target.checked
                        ? [...draft.target_site_classes, s.value]
                        : draft.target_site_classes.filter((v) => v !== s.value),
                    )
                  }
                />{" "}
                {s.label}
              </label>
            ))}
            {siteErrors.length ? (
              <p className="field-error" id={errorId("target_site_classes")}>
                <span aria-hidden="true">⚠ </span>
                {siteErrors.join(" ")}
              </p>
            ) : null}
          </fieldset>
        </fieldset>

        <fieldset id={fieldId("ring_plan")} aria-describedby={err("ring_plan") ? errorId("ring_plan") : undefined}>
          <legend>Ring plan</legend>
          <p className="hint">Every rollout starts in Lab; rings appear once each, in order: {rings.map(humanize).join(" → ")}.</p>
          {err("ring_plan") ? (
            <p className="field-error" id={errorId("ring_plan")}>
              <span aria-hidden="true">⚠ </span>
              {err("ring_plan")?.join(" ")}
            </p>
          ) : null}
          <ol className="steps">
            {draft.ring_plan.map((step, i) => (
              <li key={step.key} className="step">
                <fieldset id={fieldId(`ring_plan[${i}]`)} className={err(`ring_plan[${i}]`) ? "field-invalid" : undefined}>
                  <legend>
                    Step {i + 1}: {humanize(step.ring)}
                  </legend>
                  {err(`ring_plan[${i}]`) ? (
                    <p className="field-error">
                      <span aria-hidden="true">⚠ </span>
                      {err(`ring_plan[${i}]`)?.join(" ")}
                    </p>
                  ) : null}
                  <div className="row">
                    <Field path={`ring_plan[${i}].ring`} label="Ring" errors={err(`ring_plan[${i}].ring`)}>
                      {(p) => (
                        <select {...p} value={step.ring} onChange={(e) => setStep(i, { ring: e.target.value })}>
                          {rings.map((r) => (
                            <option key={r} value={r}>
                              {humanize(r)}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    {planes.length ? (
                      planes.map((plane, k) =>
                        k === 0 ? (
                          <GroupPicker
                            key={plane.id}
                            path={`ring_plan[${i}].target_group`}
                            label="Target group"
                            source={plane}
                            value={step.target_group}
                            onChange={(v) => setStep(i, { target_group: v })}
                            errors={err(`ring_plan[${i}].target_group`)}
                          />
                        ) : (
                          <GroupPicker
                            key={plane.id}
                            path={`ring_plan[${i}].target_groups.${plane.name}`}
                            label={`Target group on ${plane.name}`}
                            source={plane}
                            value={step.target_groups?.[plane.name] ?? ""}
                            onChange={(v) => setStep(i, { target_groups: { ...step.target_groups, [plane.name]: v } })}
                            errors={err(`ring_plan[${i}].target_groups.${plane.name}`)}
                          />
                        ),
                      )
                    ) : (
                      <Field
                        path={`ring_plan[${i}].target_group`}
                        label="Target group"
                        errors={err(`ring_plan[${i}].target_group`)}
                        hint={app && sources.isSuccess ? "No connector serves this application here, so type the group's name as its plane names it." : undefined}
                      >
                        {(p) => <input {...p} value={step.target_group} onChange={(e) => setStep(i, { target_group: e.target.value })} autoComplete="off" />}
                      </Field>
                    )}
                    <Field path={`ring_plan[${i}].device_count`} label="Devices" errors={err(`ring_plan[${i}].device_count`)}>
                      {(p) => (
                        <input {...p} inputMode="numeric" value={step.device_count} onChange={(e) => setStep(i, { device_count: e.target.value })} autoComplete="off" />
                      )}
                    </Field>
                  </div>
                  {draft.ring_plan.length > 1 ? (
                    <button
                      type="button"
                      className="btn btn-ghost"
                      onClick={() => {
                        setDraft((d) => ({ ...d, ring_plan: d.ring_plan.filter((_, j) => j !== i) }));
                        setFocusAfter("add");
                      }}
                    >
                      Remove step {i + 1} ({humanize(step.ring)})
                    </button>
                  ) : null}
                </fieldset>
              </li>
            ))}
          </ol>
          {draft.ring_plan.length < rings.length ? (
            <button
              ref={addRingRef}
              type="button"
              className="btn"
              onClick={() => {
                setDraft((d) => ({ ...d, ring_plan: [...d.ring_plan, newStep(nextRing())] }));
                setFocusAfter({ step: draft.ring_plan.length });
              }}
            >
              Add ring ({humanize(nextRing())})
            </button>
          ) : null}
        </fieldset>

        <fieldset id={fieldId("rollback_plan")}>
          <legend>Rollback plan</legend>
          {rollbackErrors ? (
            <p className="field-error">
              <span aria-hidden="true">⚠ </span>
              {rollbackErrors.join(" ")}
            </p>
          ) : null}
          <div className="row">
            <Field path="rollback_plan.strategy" label="Strategy" errors={err("rollback_plan.strategy")}>
              {(p) => (
                <select {...p} value={draft.rollback_strategy} onChange={(e) => set("rollback_strategy", e.target.value)}>
                  {STRATEGIES.map((s) => (
                    <option key={s.value} value={s.value}>
                      {s.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              path="rollback_plan.rollback_version"
              label="Roll back to version"
              errors={err("rollback_plan.rollback_version")}
              hint="Required unless the strategy is Uninstall."
            >
              {(p) => <input {...p} value={draft.rollback_version} onChange={(e) => set("rollback_version", e.target.value)} autoComplete="off" />}
            </Field>
          </div>
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : editing ? "Save draft" : "Create draft"}
          </button>
          <Link className="btn" to={editing ? `/intents/${intent.id}` : "/intents"}>
            Discard
          </Link>
        </div>
      </form>
    </Page>
  );
}
