"""svemath.data: diagram scenes and their renderer with exact annotations, seeded problem families,
dataset suites and dataset IO."""
