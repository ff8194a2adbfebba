import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, type EvidenceKind } from "../api/client";
import { detectKind, EVIDENCE_KINDS, evidenceProblem, kindLabel, readText } from "../lib/evidence";
import { FileDrop } from "./FileDrop";
import { UploadProgress } from "./UploadProgress";

const SNIFF_BYTES = 2 * 1024 * 1024;

/** Attach one evidence file to an artifact: the kind is detected from the file and may be changed. */
export function EvidenceAttach({ artifactId, artifactName }: { artifactId: string; artifactName: string }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [kind, setKind] = useState<EvidenceKind | "">("");
  const [detected, setDetected] = useState(false);
  const [progress, setProgress] = useState(0);
  const [attached, setAttached] = useState("");
  const qc = useQueryClient();
  const upload = useMutation({
    mutationFn: (args: { file: File; kind: EvidenceKind }) => api.evidence.upload({ artifact: artifactId, ...args }, setProgress),
    onSuccess: async (item) => {
      setAttached(`${item.filename} attached as ${kindLabel(item.kind)}.`);
      setFile(null);
      setKind("");
      await qc.invalidateQueries({ queryKey: ["evidence", artifactId] });
    },
  });

  async function choose(f: File) {
    upload.reset();
    setAttached("");
    setFile(f);
    const text = f.size <= SNIFF_BYTES ? await readText(f) : "";
    const guess = detectKind(f.name, text);
    setKind(guess ?? "");
    setDetected(guess !== null);
  }

  const problem = upload.error && kind ? evidenceProblem(upload.error, kind) : null;
  const problemId = `${id}-problem`;
  return (
    <div className="evidence-attach">
      <FileDrop label={`Evidence file for ${artifactName}`} hint="The kind is detected from its content." disabled={upload.isPending} onFile={(f) => void choose(f)} describedBy={problem ? problemId : undefined} />
      {file ? (
        <div className="filters">
          <div className="field">
            <label htmlFor={`${id}-kind`}>Kind of evidence</label>
            <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as EvidenceKind)} aria-describedby={`${id}-kind-hint`}>
              <option value="">Choose the kind</option>
              {EVIDENCE_KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
            <p className="hint" id={`${id}-kind-hint`}>
              {kind ? `${detected ? "Detected" : "Chosen"}: ${kindLabel(kind)} (${EVIDENCE_KINDS.find((k) => k.kind === kind)?.hint}).` : "Fleetgate could not tell the kind from this file; choose it."}
            </p>
          </div>
          <div className="filter-actions">
            <button type="button" className="btn btn-primary" disabled={!kind || upload.isPending} onClick={() => kind && (setProgress(0), upload.mutate({ file, kind }))}>
              Attach {file.name}
            </button>
          </div>
        </div>
      ) : null}
      {upload.isPending ? <UploadProgress label={`Attaching ${file?.name ?? "the file"}`} fraction={progress} /> : null}
      {problem ? (
        <div className="alert alert-error" role="alert" id={problemId} data-testid="evidence-problem">
          <p>
            <strong>{file?.name}</strong>: {problem.summary}
          </p>
          {problem.issues.length ? (
            <ul>
              {problem.issues.map((i) => (
                <li key={`${i.field}-${i.words}`}>
                  The field <strong>{i.field}</strong> {i.words}.
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {attached ? (
        <p className="small" role="status">
          {attached}
        </p>
      ) : null}
    </div>
  );
}
