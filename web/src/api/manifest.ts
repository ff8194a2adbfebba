/** Intent manifests (what `fleetgate apply -f` sends): dry run, then apply. */
import { api, type Schemas } from "./client";

export type ManifestResult = Schemas["ManifestResult"];
export type ManifestOutcome = Schemas["ManifestOutcome"];

export const manifests = {
  apply: (manifest: string, dryRun: boolean) =>
    api.call(api.typed.POST("/api/v1/intents/apply/", { body: { manifest, dry_run: dryRun } })),
};
