"""svemath.eval.benchmarks: one small class per benchmark, registered by name."""
