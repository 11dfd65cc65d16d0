"""The plugin's hook: extract-method for Java.

The Java language record itself (grammar, tags query) is built into codeloop
(codeloop.analysis.java_lang); this plugin adds only the refactoring, so it
registers through the same hook any outside extractor would use.
"""

from __future__ import annotations

from typing import Any

from codeloop.hookspecs import hookimpl


@hookimpl
def register_extractors(register: Any) -> None:
    from codeloop_java.extract import JavaExtractor

    register("java", JavaExtractor())
