import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, cursorOf } from "../api/client";
import { useUser } from "../auth/session";
import { ArtifactUpload } from "../components/ArtifactUpload";
import { DataState } from "../components/DataState";
import { EvidencePanel } from "../components/EvidencePanel";
import { Page } from "../components/Page";
import { VersionForm } from "../components/VersionForm";
import { canPackage, formatLabel, platformLabel } from "../lib/catalog";
import { formatBytes, formatNumber, humanize, stringList } from "../lib/format";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

export function ApplicationDetail() {
  const { id = "" } = useParams();
  const app = useQuery({ queryKey: ["application", id], queryFn: () => api.applications.get(id) });
  const versions = useInfiniteQuery({
    queryKey: ["versions", id],
    queryFn: ({ pageParam }) => api.versions.list({ application: id, cursor: pageParam || undefined, page_size: 20 }),
    initialPageParam: "",
    getNextPageParam: (last) => cursorOf(last.next) ?? undefined,
  });
  const rows = versions.data?.pages.flatMap((p) => p.results) ?? [];
  const packager = canPackage(useUser());
  const [adding, setAdding] = useState(false);
  const platforms = stringList(app.data?.platforms);
  return (
    <Page title={app.data?.name ?? "Application"} subtitle={app.data ? `${app.data.vendor} · ${humanize(app.data.category)}` : undefined}>
      <p>
        <Link to="/applications">← All applications</Link>
      </p>
      <DataState query={app} label="the application">
        {app.data ? (
          <dl className="facts">
            <dt>Boundary</dt>
            <dd>{app.data.boundary}</dd>
            <dt>Business units</dt>
            <dd>{stringList(app.data.business_units).join(", ")}</dd>
            <dt>Platforms</dt>
            <dd>{stringList(app.data.platforms).map(platformLabel).join(", ")}</dd>
            <dt>Support tier</dt>
            <dd>{app.data.support_tier ?? "—"}</dd>
            <dt>Privileged tooling</dt>
            <dd>{app.data.privileged_tooling ? "Yes: always needs CAB" : "No"}</dd>
            <dt>Updated</dt>
            <dd><Time value={app.data.updated_at} /></dd>
          </dl>
        ) : null}
      </DataState>
      <h2>Versions and artifacts</h2>
      {packager ? (
        adding ? (
          <VersionForm applicationId={id} onDone={() => setAdding(false)} />
        ) : (
          <p>
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Add a version
            </button>
          </p>
        )
      ) : null}
      <DataState query={versions} label="versions" isEmpty={rows.length === 0} empty="No version is registered yet.">
        {rows.map((v) => (
          <section key={v.id} className="card version" aria-labelledby={`v-${v.id}`}>
            <h3 id={`v-${v.id}`}>Version {v.version}</h3>
            <p className="small muted">
              Registered by {v.created_by} on <Time value={v.created_at} />
              {v.release_notes ? ` · ${v.release_notes}` : ""}
            </p>
            {v.artifacts.length === 0 ? (
              <p className="empty">No artifact uploaded for this version.</p>
            ) : (
              <Table
                caption={`Artifacts of version ${v.version}`}
                id="version-artifacts"
                rows={v.artifacts}
                rowKey={(a) => a.id}
                columns={[
                  { label: "File", cell: (a) => a.filename },
                  { label: "Platform", cell: (a) => platformLabel(a.platform) },
                  { label: "Format", cell: (a) => formatLabel(a.format) },
                  {
                    label: "Size",
                    className: "num",
                    value: (a) => a.size,
                    cell: (a) => (
                      <>
                        {formatBytes(a.size)} <span className="small muted">({formatNumber(a.size)} bytes)</span>
                      </>
                    ),
                  },
                  { label: "SHA-256 digest", value: (a) => a.sha256, cell: (a) => <code className="digest">{a.sha256}</code> },
                ]}
              />
            )}
            {packager && platforms.length ? (
              <ArtifactUpload applicationId={id} versionId={v.id} versionLabel={v.version} platforms={platforms} />
            ) : null}
            {v.artifacts.map((a) => (
              <EvidencePanel key={a.id} applicationId={id} versionLabel={v.version} artifact={a} canEdit={packager} />
            ))}
          </section>
        ))}
        {versions.hasNextPage ? (
          <button type="button" className="btn" onClick={() => void versions.fetchNextPage()} disabled={versions.isFetchingNextPage}>
            {versions.isFetchingNextPage ? "Loading…" : "Load more versions"}
          </button>
        ) : null}
      </DataState>
    </Page>
  );
}
