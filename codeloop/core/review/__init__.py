"""Review a diff: execution-grounded findings, deterministic checks, then the model."""
