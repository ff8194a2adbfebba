"""Site classes, the site registry, distribution strategy per class, and signed air-gap bundles."""
