"""A hypothesis script comparing the enclosing function before and after an extraction.

Only the script's text is made here; the CLI runs it in a sandbox copy with a timeout.
Each side is loaded from its own file as its own module, so module state is not
shared; inputs come from the parameter annotations where they are simple builtins,
else from a small mix of ints, strings, lists and None. The outcomes compared are the
return value's repr, or the exception type when one is raised.
"""

from __future__ import annotations

from typing import Any

_SCRIPT = '''
import importlib.util, os, sys
sys.path.insert(0, os.getcwd())
from hypothesis import given, settings, strategies as st, HealthCheck

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

try:
    old = getattr(load({before!r}, "codeloop_check_before"), {function!r})
    new = getattr(load({after!r}, "codeloop_check_after"), {function!r})
except Exception as exc:
    print("codeloop-check: cannot import the module on its own (%s: %s)" % (type(exc).__name__, exc))
    sys.exit(3)
mixed = st.one_of(st.integers(-50, 50), st.text(max_size=6), st.lists(st.integers(-9, 9), max_size=6), st.none(), st.booleans())
SIMPLE = {{"int": st.integers(-1000, 1000), "str": st.text(max_size=8), "float": st.floats(-1e6, 1e6, allow_nan=False),
          "bool": st.booleans(), "list": st.lists(st.integers(-9, 9), max_size=6), "list[int]": st.lists(st.integers(-9, 9), max_size=6),
          "list[str]": st.lists(st.text(max_size=4), max_size=6)}}
strategies = [SIMPLE.get(a, mixed) for a in {annotations!r}]

def outcome(fn, args):
    try:
        return ("ok", repr(fn(*args)))
    except Exception as exc:
        return ("raised", type(exc).__name__)

count = [0]

@settings(max_examples={examples}, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
@given(st.tuples(*strategies))
def test_same(args):
    count[0] += 1
    assert outcome(old, args) == outcome(new, args), args

test_same()
print("codeloop-check: %d inputs, same outcomes" % count[0])
'''


def parameter_annotations(function: Any) -> list[str]:
    """The annotation text of each positional parameter ("" when none)."""
    found = []
    params = function.child_by_field_name("parameters")
    for param in params.named_children if params is not None else []:
        if param.type in ("list_splat_pattern", "dictionary_splat_pattern", "keyword_separator", "positional_separator"):
            continue
        kind = param.child_by_field_name("type")
        found.append(kind.text.decode() if kind is not None else "")
    return found


def check_script(before_path: str, after_path: str, function: str, kinds: list[str], examples: int = 200) -> str:
    return _SCRIPT.format(before=before_path, after=after_path, function=function, annotations=kinds, examples=examples)
