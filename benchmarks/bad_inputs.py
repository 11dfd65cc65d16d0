"""The bad-input matrix: every command against every awkward input a user can hand it.

One table, shared by tests/test_bad_input_matrix.py (the suite) and ``python
benchmarks/faults.py matrix`` (the long run, with a table of figures). Each case builds
real folders, runs the real CLI as a subprocess (stdin an open pipe nobody writes to, as
from an editor; HOME and TMPDIR of its own) and checks the contract:

- the exit code the README promises (2: bad input; 1: no verified fix, model needed);
- on exit 2, exactly one line on stderr, ``codeloop: <what to do>``;
- every byte of the watched folders unchanged (working tree, index, untracked and
  ignored files; codeloop's own ``.codeloop/`` and git's objects left out);
- no Python traceback (those are for ``--debug``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # imported by the tests as a file: its siblings too
    sys.path.insert(0, str(HERE))

import bad_input_repos as repos  # noqa: E402
from fault_server import fault_server, unused_port  # noqa: E402

ROOT = HERE.parent
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Setup:
    """What one case runs: ``args`` after ``codeloop`` (``{url}`` is the fault server's)."""

    args: list[str]
    cwd: Path
    watch: list[Path]
    env: dict[str, str] = field(default_factory=dict)
    server: str | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)  # a wrapper, e.g. prlimit


@dataclass(frozen=True)
class Case:
    name: str
    command: str
    build: Callable[[Path], Setup]
    expect: int = 2
    needs: str = ""  # "mount": root's tmpfs (a really full disk); "prlimit": util-linux's
    max_seconds: float = 90.0
    slow: bool = False  # runs a whole search (tens of seconds): the benchmark's, not the suite's


@dataclass
class Outcome:
    case: str
    command: str
    code: int | None
    expected: int
    stderr: str
    changed: list[str]
    traceback: bool
    seconds: float
    skipped: str = ""

    def progress_lines(self) -> int:
        """Lines of progress on stderr (notes, stages, test outcomes), before any problem."""
        return sum(1 for line in self.stderr.splitlines() if line.startswith(("note: ", "[", "  \u2717", "  ")) and line.strip())

    def problems(self) -> list[str]:
        found = []
        if self.code != self.expected:
            found.append(f"exit {self.code}, expected {self.expected}")
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        said = [line for line in lines if line.startswith("codeloop: ")]
        # Exit 2: one `codeloop: ...` line, the last. A problem found only once tests ran
        # (a full disk, a hanging test command) comes after the progress lines of that run.
        if self.expected == 2 and (len(said) != 1 or lines[-1] != said[0] or len(lines) - 1 != self.progress_lines()):
            found.append(f"{len(lines)} stderr lines, expected one 'codeloop: ...' after the progress")
        if self.changed:
            found.append(f"bytes changed in {self.changed}")
        if self.traceback:
            found.append("a traceback")
        return found


def snapshot(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if not folder.exists():
        return found
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == ".codeloop" or rel.startswith((".codeloop/", ".git/objects/", "objects/")):
            continue
        if path.is_symlink():
            found[rel] = b"link:" + os.readlink(path).encode()
        elif path.is_file():
            found[rel] = path.read_bytes()
    return found


def cli_env(base: Path, pythonpath: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODELOOP_", "OPENAI_"))}
    env.update(repos.GIT_ENV)
    for name in ("home", "tmp"):
        (base / name).mkdir(exist_ok=True)
    env.update({"HOME": str(base / "home"), "TMPDIR": str(base / "tmp"), "CODELOOP_THREADS": "1"})
    env["PYTHONPATH"] = (pythonpath or str(ROOT)) + os.pathsep + env.get("PYTHONPATH", "")
    if "CODELOOP_CACHE_DIR" in os.environ:
        env["CODELOOP_CACHE_DIR"] = os.environ["CODELOOP_CACHE_DIR"]
    return env


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


def run_case(case: Case, base: Path, pythonpath: str | None = None) -> Outcome:
    """Build the case's folders under ``base`` (which must be empty), run it, judge it."""
    if case.needs == "mount" and not can_mount():
        return Outcome(case.name, case.command, None, case.expect, "", [], False, 0.0, skipped="needs root to mount a tmpfs (run the suite as root to check a full disk for real; the error mapping is tested in-process too)")
    if case.needs == "prlimit" and shutil.which("prlimit") is None:
        return Outcome(case.name, case.command, None, case.expect, "", [], False, 0.0, skipped="needs prlimit (apt-get install util-linux) to cap the address space")
    base.mkdir(parents=True, exist_ok=True)
    env = cli_env(base, pythonpath)
    setup = case.build(base)
    with ExitStack() as stack:
        for undo in setup.cleanup:
            stack.callback(undo)
        args = list(setup.args)
        if setup.server is not None:
            url = stack.enter_context(fault_server(setup.server))
            args = [a.replace("{url}", url) for a in args]
        before = {str(p): snapshot(p) for p in setup.watch}
        code, out, err, seconds = _run([*setup.prefix, sys.executable, "-m", "codeloop", *args], setup.cwd, {**env, **setup.env}, case.max_seconds + 60)
        changed = []
        for p in setup.watch:
            now = snapshot(p)
            was = before[str(p)]
            changed += [f"{p.name}/{rel}" for rel in sorted(set(was) | set(now)) if was.get(rel) != now.get(rel)]
    return Outcome(case.name, case.command, code, case.expect, err, changed, TRACEBACK in out + err, seconds)


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str, str, float]:
    """The CLI with stdin an open pipe that never delivers a byte (a test or prompt that
    reads it would wait forever, as under an editor)."""
    read_end, write_end = os.pipe()
    started = time.monotonic()
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=read_end,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        os.close(read_end)
        try:
            out, err = proc.communicate(timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, err = proc.communicate()
            code = None
    finally:
        os.close(write_end)
    return code, out.decode(errors="replace"), err.decode(errors="replace"), time.monotonic() - started


# -- the table ------------------------------------------------------------------------

def _in(folder: Callable[[Path], Path], *args: str, cwd_is_repo: bool = True) -> Callable[[Path], Setup]:
    """Args run inside the folder ``folder`` builds (``{repo}`` is its path)."""
    def build(base: Path) -> Setup:
        repo = folder(base)
        return Setup([a.replace("{repo}", str(repo)).replace("{base}", str(base)) for a in args], repo if cwd_is_repo else base, [repo])
    return build


def _with_outside(*args: str) -> Callable[[Path], Setup]:
    """A project, plus a file and a folder outside it (``{out}``, ``{outdir}``)."""
    def build(base: Path) -> Setup:
        repo = repos.project(base)
        outside = base / "elsewhere"
        outside.mkdir()
        repos.write(outside, {"calc.py": repos.CALC_BUGGY, "gen.py": repos.STUB})
        subs = {"{out}": str(outside / "calc.py"), "{outgen}": str(outside / "gen.py"), "{outdir}": str(outside)}
        resolved = []
        for a in args:
            for k, v in subs.items():
                a = a.replace(k, v)
            resolved.append(a)
        return Setup(resolved, repo, [repo, outside])
    return build


def _with_files(files: dict[str, str | bytes], *args: str) -> Callable[[Path], Setup]:
    return _in(lambda base: repos.project(base, files), *args)


def _with_model(make: Callable[[Path], Path], *args: str) -> Callable[[Path], Setup]:
    def build(base: Path) -> Setup:
        repo = repos.project(base)
        model = make(base)
        git_staged(repo)
        return Setup([a.replace("{model}", str(model)) for a in args], repo, [repo])
    return build


def _address_limited(*args: str) -> Callable[[Path], Setup]:
    """A 3 GiB GGUF (sparse) for a codeloop whose address space is limited to 2.5 GiB
    (RLIMIT_AS, as a container or `ulimit -v` sets it)."""
    def build(base: Path) -> Setup:
        repo = repos.project(base)
        model = repos.huge_gguf(base, 3 << 30)
        return Setup([a.replace("{model}", str(model)) for a in args], repo, [repo], prefix=["prlimit", f"--as={5 << 29}", "--"])
    return build


def git_staged(repo: Path) -> None:
    """Something real staged (review and commit-msg describe it)."""
    repos.write(repo, {"calc.py": repos.CALC_BUGGY})
    repos.git(repo, "add", "calc.py")


def _served(mode: str, *args: str) -> Callable[[Path], Setup]:
    def build(base: Path) -> Setup:
        repo = repos.project(base)
        return Setup(list(args), repo, [repo], server=mode)
    return build


def _unreachable(*args: str) -> Callable[[Path], Setup]:
    def build(base: Path) -> Setup:
        repo = repos.project(base)
        url = f"http://127.0.0.1:{unused_port()}/v1"
        return Setup([a.replace("{url}", url) for a in args], repo, [repo])
    return build


def _full_disk(where: str, *args: str) -> Callable[[Path], Setup]:
    """A 4 MiB tmpfs filled to the last byte: the repo on it (``where="repo"``) or the
    temp folder (``where="tmp"``)."""
    def build(base: Path) -> Setup:
        buggy = args[0] == "fix"  # a repair to find; else a clean project whose tests pass
        disk = base / "disk"
        disk.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=True)
        env: dict[str, str] = {}
        if where == "repo":
            repo = repos.project(disk, buggy=buggy)
        else:
            repo = repos.project(base, buggy=buggy)
            (disk / "tmp").mkdir()
            env = {"TMPDIR": str(disk / "tmp")}
        _fill(disk)
        def unmount() -> None:
            subprocess.run(["umount", "-l", str(disk)], check=False)
        return Setup([a.replace("{repo}", str(repo)) for a in args], repo, [repo], env=env, cleanup=[unmount])
    return build


def _fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as handle:
        chunk = b"\0" * 65536
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError:
            pass
    for size in (4096, 512, 1):  # the last few bytes too
        try:
            with (disk / f"filler-{size}").open("wb") as handle:
                while True:
                    handle.write(b"\0" * size)
                    handle.flush()
        except OSError:
            pass


FIX = ("fix", "--no-model", "--time-budget", "40", "--workers", "1")
SEARCH = ("fix", "--no-model", "--time-budget", "120", "--workers", "1", "--dry-run", "--accept-ambiguous")  # a whole repair
REVIEW = ("review", "--no-model", "--no-tests")
EXTRACT = ("refactor", "extract-method")
FAR = "http://127.0.0.1:9/v1"  # nothing listens on the discard port here
GEN = ("generate", "--backend", "openai", "--base-url", FAR)
BINARY = b"\x00\x01\x02GGUF\xff\xfe" * 64
LATIN1 = "# caf\xe9\n".encode("latin-1") + repos.CALC_OK.encode()
CRLF = repos.CALC_BUGGY.replace("\n", "\r\n")
HUGE = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(40000))
FLOOD = "python -c \"import sys\nfor _ in range(400000): sys.stdout.write('flood ' * 20 + '\\n')\nsys.exit(1)\""

CASES: list[Case] = [
    # Not a git repo: every command that needs one.
    Case("fix-not-git", "fix", _in(repos.plain_folder, *FIX)),
    Case("undo-not-git", "undo", _in(repos.plain_folder, "undo")),
    Case("map-not-git", "map", _in(repos.plain_folder, "map")),
    Case("review-not-git", "review", _in(repos.plain_folder, *REVIEW)),
    Case("commit-msg-not-git", "commit-msg", _in(repos.plain_folder, "commit-msg", "--no-model")),
    Case("extract-not-git", "refactor", _in(repos.plain_folder, *EXTRACT, "calc.py", "--lines", "7-8", "--no-model")),
    Case("generate-not-git", "generate", _in(repos.plain_folder, *GEN, "gen.py::double")),
    Case("doctor-not-git", "doctor", _in(repos.plain_folder, "doctor", "--test-cmd", "true"), expect=1, slow=True),
    # A bare repository has no work tree.
    Case("fix-bare", "fix", _in(repos.bare, *FIX)),
    Case("map-bare", "map", _in(repos.bare, "map")),
    Case("review-bare", "review", _in(repos.bare, *REVIEW)),
    Case("undo-bare", "undo", _in(repos.bare, "undo")),
    # Detached HEAD: everything works, except committing a fix nobody's branch would hold.
    Case("fix-detached-dry-run", "fix", _in(repos.detached, *SEARCH), expect=0, slow=True),
    Case("fix-detached-commit", "fix", _in(repos.detached, *FIX, "--commit")),
    # A merge or rebase stopped on a conflict: hands off until the user finishes it.
    Case("fix-merging", "fix", _in(repos.merging, *FIX)),
    Case("extract-merging", "refactor", _in(repos.merging, *EXTRACT, "calc.py", "--lines", "13-14", "--no-model")),
    Case("generate-merging", "generate", _in(repos.merging, *GEN, "gen.py::double")),
    Case("fix-rebasing", "fix", _in(repos.rebasing, *FIX)),
    # A prepare-commit-msg hook runs inside a rebase: it must keep working there.
    Case("commit-msg-rebasing", "commit-msg", _in(repos.rebasing, "commit-msg", "--no-model"), expect=0),
    # An empty repo (no commit yet) is a normal start: fix and commit-msg work there.
    Case("fix-empty-repo", "fix", _in(repos.empty, *SEARCH), expect=0, slow=True),
    Case("commit-msg-empty-repo", "commit-msg", _in(repos.empty, "commit-msg", "--no-model"), expect=0),
    Case("review-empty-repo", "review", _in(repos.empty, *REVIEW), expect=0),
    Case("undo-empty-repo", "undo", _in(repos.empty, "undo")),
    # Paths outside the repo, and paths that do not exist.
    Case("fix-outside", "fix", _with_outside(*FIX, "{outdir}")),
    Case("map-outside", "map", _with_outside("map", "{outdir}")),
    Case("review-outside", "review", _with_outside(*REVIEW, "{out}")),
    Case("extract-outside", "refactor", _with_outside(*EXTRACT, "{out}", "--lines", "7-8", "--no-model")),
    Case("generate-outside", "generate", _with_outside(*GEN, "{outgen}::double")),
    Case("fix-missing-path", "fix", _in(repos.project, *FIX, "no/such/dir")),
    Case("map-missing-path", "map", _in(repos.project, "map", "nosuch.py")),
    Case("review-missing-path", "review", _in(repos.project, *REVIEW, "nosuch.py")),
    Case("extract-missing-file", "refactor", _in(repos.project, *EXTRACT, "nosuch.py", "--lines", "1-2", "--no-model")),
    Case("generate-missing-file", "generate", _in(repos.project, *GEN, "nosuch.py::double")),
    Case("apply-missing-file", "apply", _in(repos.project, "apply", "nosuch.json")),
    Case("apply-not-json", "apply", _in(repos.project, "apply", "calc.py")),
    # Source that does not parse, binary, huge, non-UTF-8 and CRLF files.
    Case("extract-syntax-error", "refactor", _with_files({"calc.py": repos.CALC_OK + "def broken(:\n"}, *EXTRACT, "calc.py", "--lines", "7-8", "--no-model")),
    Case("generate-syntax-error", "generate", _with_files({"gen.py": repos.STUB + "def broken(:\n"}, *GEN, "gen.py::double")),
    Case("fix-syntax-error", "fix", _with_files({"calc.py": "def add(a, b)\n    return a + b\n"}, *FIX), expect=1, slow=True),
    Case("extract-binary", "refactor", _with_files({"blob.py": BINARY}, *EXTRACT, "blob.py", "--lines", "1-1", "--no-model")),
    Case("extract-non-utf8", "refactor", _with_files({"latin.py": LATIN1}, *EXTRACT, "latin.py", "--lines", "3-3", "--no-model")),
    Case("extract-huge-range", "refactor", _with_files({"big.py": HUGE}, *EXTRACT, "big.py", "--lines", "200000-200001", "--no-model")),
    Case("generate-binary", "generate", _with_files({"blob.py": BINARY}, *GEN, "blob.py::double")),
    Case("fix-crlf-dry-run", "fix", _with_files({"calc.py": CRLF}, *SEARCH), expect=0, slow=True),
    Case("map-binary-huge-latin1", "map", _with_files({"blob.py": BINARY, "big.py": HUGE, "latin.py": LATIN1}, "map", "--tokens", "64"), expect=0),
    Case("review-binary-staged", "review", _in(lambda b: _staged_binary(b), *REVIEW), expect=0),
    # A full disk: the repo's, or the temp folder's.
    Case("fix-full-disk", "fix", _full_disk("repo", *FIX), needs="mount"),
    # A full TMPDIR: Python's tempfile falls back to another temp folder, so the run works.
    Case("fix-full-tmp", "fix", _full_disk("tmp", *SEARCH), expect=0, needs="mount", slow=True),
    Case("extract-full-disk", "refactor", _full_disk("repo", *EXTRACT, "calc.py", "--lines", "7-8", "--no-model"), needs="mount"),
    # Models that cannot load: missing, corrupt, far too big for memory.
    Case("fix-missing-gguf", "fix", _with_model(repos.corrupt_gguf, "fix", "--model", "/nonexistent/model.gguf", "--time-budget", "30")),
    Case("fix-corrupt-gguf", "fix", _with_model(repos.corrupt_gguf, "fix", "--model", "{model}", "--time-budget", "30")),
    Case("fix-huge-gguf", "fix", _with_model(repos.huge_gguf, "fix", "--model", "{model}", "--time-budget", "30")),
    Case("fix-gguf-over-address-limit", "fix", _address_limited("fix", "--model", "{model}", "--time-budget", "30"), needs="prlimit"),
    Case("review-corrupt-gguf", "review", _with_model(repos.corrupt_gguf, "review", "--no-tests", "--model", "{model}")),
    Case("commit-msg-corrupt-gguf", "commit-msg", _with_model(repos.corrupt_gguf, "commit-msg", "--model", "{model}")),
    Case("extract-corrupt-gguf", "refactor", _with_model(repos.corrupt_gguf, *EXTRACT, "calc.py", "--lines", "7-8", "--model", "{model}")),
    Case("generate-huge-gguf", "generate", _with_model(repos.huge_gguf, "generate", "gen.py::double", "--model", "{model}")),
    Case("doctor-corrupt-gguf", "doctor", _with_model(repos.corrupt_gguf, "doctor", "--model", "{model}", "--test-cmd", "true"), expect=1, slow=True),
    # Test commands that do not exist, hang, flood their output or read stdin.
    Case("fix-test-cmd-missing", "fix", _in(repos.project, *FIX, "--test-cmd", "no-such-test-runner -q")),
    Case("fix-test-cmd-hangs", "fix", _in(repos.project, "fix", "--no-model", "--time-budget", "8", "--test-cmd", "sleep 600"), max_seconds=40),
    Case("fix-test-cmd-floods", "fix", _in(repos.project, "fix", "--no-model", "--time-budget", "20", "--test-cmd", FLOOD), expect=1, slow=True),
    Case("fix-test-cmd-reads-stdin", "fix", _in(repos.project, *FIX, "--test-cmd", "cat"), expect=0, max_seconds=30),
    Case("review-test-cmd-missing", "review", _in(lambda b: _staged(b), "review", "--no-model", "--test-cmd", "no-such-test-runner")),
    Case("extract-test-cmd-missing", "refactor", _in(repos.project, *EXTRACT, "calc.py", "--lines", "7-8", "--no-model", "--test-cmd", "no-such-test-runner")),
    # An OpenAI-compatible server that is down, stalls, throttles, fails or cuts its JSON.
    Case("fix-server-down", "fix", _unreachable("fix", "--backend", "openai", "--base-url", "{url}", "--time-budget", "20")),
    Case("generate-server-down", "generate", _unreachable("generate", "gen.py::double", "--backend", "openai", "--base-url", "{url}")),
    # The up-front probe waits a few seconds for an answer: a stalled server is bad input.
    Case("fix-server-slow", "fix", _served("slow", "fix", "--tiers", "model", "--backend", "openai", "--base-url", "{url}", "--time-budget", "12"), max_seconds=40),
    Case("fix-server-429", "fix", _served("429", "fix", "--tiers", "model", "--backend", "openai", "--base-url", "{url}", "--time-budget", "40"), expect=1, slow=True),
    # A server that answers 500 to everything, its health check included, is marked down:
    # no usable server is exit 2, like an unreachable one.
    Case("fix-server-500", "fix", _served("500", "fix", "--tiers", "model", "--backend", "openai", "--base-url", "{url}", "--time-budget", "40"), expect=2, slow=True),
    Case("fix-server-truncated", "fix", _served("truncated", "fix", "--tiers", "model", "--backend", "openai", "--base-url", "{url}", "--time-budget", "40"), expect=1, slow=True),
    Case("generate-server-500", "generate", _served("500", "generate", "gen.py::double", "--backend", "openai", "--base-url", "{url}", "--time-budget", "15"), expect=2),
    Case("generate-server-truncated", "generate", _served("truncated", "generate", "gen.py::double", "--backend", "openai", "--base-url", "{url}", "--time-budget", "15"), expect=1),
]


def _staged(base: Path) -> Path:
    repo = repos.project(base)
    git_staged(repo)
    return repo


def _staged_binary(base: Path) -> Path:
    repo = repos.project(base)
    repos.write(repo, {"blob.bin": BINARY, "latin.py": LATIN1})
    repos.git(repo, "add", "blob.bin", "latin.py")
    return repo


def by_name(name: str) -> Case:
    return next(c for c in CASES if c.name == name)
