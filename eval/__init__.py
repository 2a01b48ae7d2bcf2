"""svemath.eval: benchmarks (real loaders and synthetic suites), prompts, answer extraction, scoring,
metrics, the two-phase runner and reports."""
