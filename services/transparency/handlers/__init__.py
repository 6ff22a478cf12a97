"""The transparency service's use cases: recording leaves, integrating them, publishing
checkpoints, and reading the log."""
