"""Read-only AI assistance: explanations, summaries, drafts and answers from cited records.

It reads other domains through their queries only (import-linter contract "The assistant only reads");
its own services write just its interaction records and provider configuration. The built-in offline
provider renders templates over the retrieved records; HTTP providers get scrubbed text only."""
