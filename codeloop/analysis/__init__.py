"""Tree-sitter layer: languages, functions, localization (and, later, the symbol index)."""
