"""Evidence packs: ingest SBOM, scans, signatures, provenance and tests; completeness; seal; verify.

Parsers (sbom, scans, signatures, provenance, facts) take bytes and return plain dataclasses, so
they test without a database; services.py is the only writer; verify.py needs nothing but the
sealed JSON and a public key, so a pack can be checked offline years later."""
