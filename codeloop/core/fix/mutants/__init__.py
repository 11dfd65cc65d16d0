"""Model-free candidate generators (one module per language), registered through plugins."""
