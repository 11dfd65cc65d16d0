"""codeloop: local-first code repair and generation, verified by your own tests."""

__version__ = "0.1.0"
