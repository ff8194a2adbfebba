import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Artifact } from "../api/client";
import { FORMATS, formatFromName, platformLabel } from "../lib/catalog";
import { formatBytes } from "../lib/format";
import { FileDrop } from "./FileDrop";
import { ProblemAlert } from "./ProblemAlert";
import { UploadProgress } from "./UploadProgress";

/** Upload an installer for a version, streamed with progress; shows the SHA-256 Fleetgate computed. */
export function ArtifactUpload({ applicationId, versionId, versionLabel, platforms }: { applicationId: string; versionId: string; versionLabel: string; platforms: string[] }) {
  const [platform, setPlatform] = useState(platforms[0] ?? "");
  const [format, setFormat] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState(0);
  const [done, setDone] = useState<Artifact | null>(null);
  const qc = useQueryClient();
  const formats = FORMATS[platform] ?? [];
  const upload = useMutation({
    mutationFn: (f: File) => api.artifacts.upload({ version: versionId, platform, format, file: f }, setProgress),
    onSuccess: async (artifact) => {
      setDone(artifact);
      setFile(null);
      await qc.invalidateQueries({ queryKey: ["versions", applicationId] });
    },
  });
  const ids = `art-${versionId}`;
  return (
    <section className="artifact-upload" aria-labelledby={`${ids}-title`}>
      <h4 id={`${ids}-title`}>Upload an artifact for version {versionLabel}</h4>
      <div className="filters">
        <div className="field">
          <label htmlFor={`${ids}-platform`}>Platform</label>
          <select id={`${ids}-platform`} value={platform} onChange={(e) => { setPlatform(e.target.value); setFormat(""); }}>
            {platforms.map((p) => (
              <option key={p} value={p}>
                {platformLabel(p)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-format`}>Package format</label>
          <select id={`${ids}-format`} value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="">Choose a format</option>
            {formats.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FileDrop
        label={`Installer file for version ${versionLabel}`}
        hint="It is streamed to Fleetgate, which computes its SHA-256."
        disabled={upload.isPending}
        onFile={(f) => {
          setFile(f);
          setDone(null);
          upload.reset();
          const guess = formatFromName(f.name, platform);
          if (guess) setFormat(guess);
        }}
      />
      {file ? (
        <p>
          <button type="button" className="btn btn-primary" disabled={!format || upload.isPending} onClick={() => { setProgress(0); upload.mutate(file); }}>
            Upload {file.name} ({formatBytes(file.size)})
          </button>
          {!format ? <span className="small muted"> Choose the package format first.</span> : null}
        </p>
      ) : null}
      {upload.isPending ? <UploadProgress label={`Uploading ${file?.name ?? "the file"}`} fraction={progress} /> : null}
      {upload.error ? <ProblemAlert error={upload.error} title="The artifact was not uploaded" /> : null}
      {done ? (
        <div className="alert alert-success" role="status">
          <p>
            <strong>{done.filename}</strong> uploaded ({formatBytes(done.size)}). SHA-256 computed by Fleetgate:
          </p>
          <p>
            <code className="digest" data-testid="artifact-sha256">{done.sha256}</code>
          </p>
        </div>
      ) : null}
    </section>
  );
}
