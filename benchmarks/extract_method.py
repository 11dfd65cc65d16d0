"""Extract-method side by side: codeloop vs rope on seeded random selections in real libraries.

For each library (a pure-Python sdist from PyPI, cached in benchmarks/.cache/), the
script picks random runs of whole statements inside its functions (and, one time in
five, a range nudged by a line so that it cuts a statement), asks both tools to
extract them, and sorts every outcome into:

  success  the output parses and the library's own tests still pass
  refused  the tool declined (codeloop: RefactorRefused; rope: any exception)
  broken   the output does not parse, or the library's tests fail with it

rope is the oracle (a test-extra dependency); codeloop's broken count must be 0.

    python benchmarks/extract_method.py                 # default subset, a few minutes
    python benchmarks/extract_method.py --per-lib 40    # more selections
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "benchmarks" / ".cache"

# name, version, source folder inside the sdist, test folder, test command (run in the sdist root).
# {tests} becomes tests/test_<module>.py when the library has one for the edited module
# (much faster than the whole suite), else the whole test folder.
LIBRARIES = [
    ("toolz", "1.2.0", "toolz", "toolz/tests", "python -m pytest -q -x -p no:cacheprovider {tests}"),
    ("inflection", "0.5.1", "inflection", "test_inflection.py", "python -m pytest -q -x -p no:cacheprovider {tests}"),
    ("more-itertools", "11.2.1", "more_itertools/recipes.py", "tests/test_recipes.py", "python -m pytest -q -x -p no:cacheprovider {tests}"),
]


def test_target(lib: Path, tests: str, rel: str) -> str:
    specific = Path(tests) / f"test_{Path(rel).stem}.py"
    return specific.as_posix() if (lib / tests).is_dir() and (lib / specific).is_file() else tests


@dataclass
class Tally:
    success: int = 0
    refused: int = 0
    broken: int = 0
    seconds: float = 0.0
    broken_cases: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)


def fetch(name: str, version: str) -> Path:
    """The unpacked sdist (downloaded once with pip, then reused from the cache)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    unpacked = CACHE / stem
    if unpacked.is_dir():
        return unpacked
    archives = list(CACHE.glob(f"{stem}.tar.gz")) + list(CACHE.glob(f"{name}-{version}.tar.gz"))
    if not archives:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", f"{name}=={version}", "-d", str(CACHE)],
            check=True,
        )
        archives = list(CACHE.glob(f"{stem}.tar.gz")) + list(CACHE.glob(f"{name}-{version}.tar.gz"))
    with tarfile.open(archives[0]) as tar:
        tar.extractall(CACHE, filter="data")
    found = next(p for p in CACHE.iterdir() if p.is_dir() and p.name.lower().replace("-", "_") == stem.lower().replace("-", "_"))
    return found


def sources(lib: Path, where: str) -> list[Path]:
    target = lib / where
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    return [f for f in files if "tests" not in f.parts and not f.name.startswith("test")]


def selections(files: list[Path], lib: Path, count: int, rng: random.Random) -> list[tuple[str, int, int]]:
    from codeloop.analysis.languages import parser_for
    from codeloop.analysis.python_lang import PYTHON
    from codeloop.core.refactor.selection import _functions

    pool = []
    for path in files:
        tree = parser_for(PYTHON).parse(path.read_bytes())
        for fn in _functions(tree.root_node):
            stack = [fn.child_by_field_name("body")]
            while stack:
                block = stack.pop()
                stmts = [c for c in block.named_children if c.type != "comment"]
                if stmts:
                    pool.append((path.relative_to(lib).as_posix(), stmts))
                for child in block.named_children:
                    if child.type not in ("function_definition", "class_definition", "decorated_definition"):
                        stack.extend(b for b in _descendant_blocks(child))
    picked = []
    for _ in range(count):
        rel, stmts = rng.choice(pool)
        i = rng.randrange(len(stmts))
        j = rng.randrange(i, min(len(stmts), i + 6))
        start, end = stmts[i].start_point[0] + 1, stmts[j].end_point[0] + 1
        if rng.random() < 0.2:  # a sloppy selection: one line short or long
            end = max(start, end + rng.choice((-1, 1)))
        picked.append((rel, start, end))
    return picked


def _descendant_blocks(node):  # type: ignore[no-untyped-def]
    for child in node.named_children:
        if child.type == "block":
            yield child
        elif child.type not in ("function_definition", "class_definition", "lambda"):
            yield from _descendant_blocks(child)


def codeloop_extract(lib: Path, rel: str, start: int, end: int, name: str) -> str:
    from codeloop.core.refactor.extract import extract_method

    source = (lib / rel).read_text()
    return extract_method(source, rel, start, end, name=name).changes.files[0].after


def rope_extract(lib: Path, rel: str, start: int, end: int, name: str) -> str:
    from rope.base.project import Project
    from rope.refactor.extract import ExtractMethod

    source = (lib / rel).read_text()
    lines = source.splitlines(keepends=True)
    begin = sum(len(x) for x in lines[: start - 1])
    begin += len(lines[start - 1]) - len(lines[start - 1].lstrip())
    finish = sum(len(x) for x in lines[:end]) - (1 if lines[end - 1].endswith("\n") else 0)
    project = Project(str(lib), ropefolder=None)
    try:
        changes = ExtractMethod(project, project.get_resource(rel), begin, finish).get_changes(name)
        return changes.changes[0].new_contents  # type: ignore[no-any-return]
    finally:
        project.close()


def tests_pass(lib: Path, rel: str, text: str, command: str, cache: dict[str, bool]) -> bool:
    if text in cache:
        return cache[text]
    target = lib / rel
    original = target.read_bytes()
    try:
        target.write_text(text)
        proc = subprocess.run(command, shell=True, cwd=lib, capture_output=True, timeout=300, env=_env())
        cache[text] = proc.returncode == 0
    finally:
        target.write_bytes(original)
    return cache[text]


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def judge(tool: str, tally: Tally, extract, lib: Path, case: tuple[str, int, int], name: str, command: str, cache: dict[str, bool]) -> str:  # type: ignore[no-untyped-def]
    rel, start, end = case
    started = time.perf_counter()
    try:
        text = extract(lib, rel, start, end, name)
    except Exception as exc:  # noqa: BLE001 - every refusal counts, whatever its type
        tally.refused += 1
        reason = type(exc).__name__ if tool == "rope" else re.sub(r"\d+", "N", str(exc).split(":")[0])[:48]
        tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
        tally.seconds += time.perf_counter() - started
        return "refused"
    tally.seconds += time.perf_counter() - started
    try:
        ast.parse(text)
        ok = tests_pass(lib, rel, text, command, cache)
    except SyntaxError:
        ok = False
    if ok:
        tally.success += 1
        return "success"
    tally.broken += 1
    tally.broken_cases.append(f"{lib.name}/{rel}:{start}-{end}")
    return "broken"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-lib", type=int, default=10, help="selections per library (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    totals = {"codeloop": Tally(), "rope": Tally()}
    rows = []
    pairs: dict[tuple[str, ...], int] = {}
    started = time.perf_counter()
    for name, version, where, tests, command in LIBRARIES:
        lib = fetch(name, version)
        if subprocess.run(command.format(tests=tests), shell=True, cwd=lib, capture_output=True, env=_env()).returncode != 0:
            print(f"skipping {name}: its tests fail before any change", file=sys.stderr)
            continue
        cases = selections(sources(lib, where), lib, args.per_lib, rng)
        per = {"codeloop": Tally(), "rope": Tally()}
        cache: dict[str, bool] = {}
        for k, case in enumerate(cases):
            run = command.format(tests=test_target(lib, tests, case[0]))
            pair = tuple(
                judge(tool, per[tool], fn, lib, case, f"bench_extracted_{k}", run, cache)
                for tool, fn in (("codeloop", codeloop_extract), ("rope", rope_extract))
            )
            pairs[pair] = pairs.get(pair, 0) + 1
        for tool in per:
            t, total = per[tool], totals[tool]
            rows.append((f"{name} {version}", tool, t.success, t.refused, t.broken, t.seconds))
            total.success += t.success
            total.refused += t.refused
            total.broken += t.broken
            total.seconds += t.seconds
            total.broken_cases += t.broken_cases
            for k2, v in t.reasons.items():
                total.reasons[k2] = total.reasons.get(k2, 0) + v
    print(f"extract-method on {args.per_lib} seeded selections per library (seed {args.seed})\n")
    print(f"{'library':22} {'tool':9} {'success':>7} {'refused':>7} {'broken':>6} {'extract s':>9}")
    for lib_name, tool, s, r, b, secs in rows + [("all", k, v.success, v.refused, v.broken, v.seconds) for k, v in totals.items()]:
        print(f"{lib_name:22} {tool:9} {s:7d} {r:7d} {b:6d} {secs:9.2f}")
    for tool, t in totals.items():
        if t.broken_cases:
            print(f"\n{tool} broken: " + ", ".join(t.broken_cases))
        print(f"\n{tool} refusals: " + ", ".join(f"{k} x{v}" for k, v in sorted(t.reasons.items(), key=lambda kv: -kv[1])))
    print("\nsame selection, codeloop vs rope: " + ", ".join(f"{a}/{b} x{n}" for (a, b), n in sorted(pairs.items())))
    print(f"\nwall time {time.perf_counter() - started:.0f}s")
    return 1 if totals["codeloop"].broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
