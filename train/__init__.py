"""svemath.train: the training engine (accelerate), declarative stages, YAML recipes, checkpoints."""
