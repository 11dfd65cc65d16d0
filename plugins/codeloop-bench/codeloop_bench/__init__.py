"""codeloop-bench: the `codeloop bench` command, registered as a plugin."""
