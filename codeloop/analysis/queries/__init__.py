"""Tree-sitter queries shipped as package data (NAME-KIND.scm)."""
