"""svemath.data.families: seeded problem families (geometry, functions, charts, counting, graphs, solids)."""
