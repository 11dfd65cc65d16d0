"""The two error types every layer raises; the CLI maps them to exit codes."""


class UsageError(Exception):
    """Bad input from the user: the CLI prints the message on one line and exits 2.

    The message must say what to do, e.g. "PATH is not inside a git work tree: run
    codeloop inside a repository or pass one as PATH".
    """


class RefusedError(Exception):
    """A well-formed request that codeloop declines to carry out safely (exit 1)."""
