"""Built-in backends, languages, runners, mutants and extractors, registered through the
public hooks (the same an outside plugin implements)."""

from __future__ import annotations

from typing import Any

from codeloop.hookspecs import hookimpl

# ``register`` is typed in hookspecs.py; Any here keeps these imports lazy.


@hookimpl
def register_backends(register: Any) -> None:
    from codeloop.models import llamacpp, openai_compat

    register("llamacpp", llamacpp.LlamaCppBackend)
    register("openai", openai_compat.OpenAIBackend)


@hookimpl
def register_languages(register: Any) -> None:
    from codeloop.analysis.go_lang import GO
    from codeloop.analysis.java_lang import JAVA
    from codeloop.analysis.javascript_lang import JAVASCRIPT
    from codeloop.analysis.python_lang import PYTHON
    from codeloop.analysis.typescript_lang import TSX, TYPESCRIPT

    for language in (PYTHON, JAVASCRIPT, TYPESCRIPT, TSX, JAVA, GO):
        register(language)


@hookimpl
def register_test_runners(register: Any) -> None:
    from codeloop.runners.command import CommandRunner
    from codeloop.runners.pytest_runner import PytestRunner

    register("pytest", PytestRunner)
    register("command", CommandRunner)


@hookimpl
def register_candidate_generators(register: Any) -> None:
    from codeloop.core.fix.mutants import python

    register("python", python.generate)


@hookimpl
def register_extractors(register: Any) -> None:
    from codeloop.core.refactor.extract import PythonExtractor

    register("python", PythonExtractor())
