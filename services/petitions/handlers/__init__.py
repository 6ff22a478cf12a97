"""Use cases, one module per group."""
