"""Nothing outlives codeloop, even a SIGKILL; signals end every command cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codeloop.containment import procs
from codeloop.containment.session import RUN_PREFIX, RunSession, sweep_stale

from tests.conftest import PROJECT_ROOT, git, make_repo, snapshot
from tests.test_containment import DETACH


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(PROJECT_ROOT)}


def _wait(predicate, seconds: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _run_folders(tmp: Path) -> list[Path]:
    return [p for p in tmp.iterdir() if p.name.startswith("codeloop")]


def test_sigkill_of_codeloop_kills_its_test_runs_and_removes_its_folder(tmp_path: Path) -> None:
    tmp, work = tmp_path / "tmp", tmp_path / "work"
    tmp.mkdir()
    work.mkdir()
    script = f"from pathlib import Path\nfrom codeloop.runners.base import run_shell\nrun_shell({DETACH + '; sleep 300'!r}, Path({str(work)!r}), 600)\n"
    proc = subprocess.Popen([sys.executable, "-c", script], env=_env(tmp), start_new_session=True)
    assert _wait(lambda: (work / "escapee.pid").is_file() and (work / "escapee.pid").read_text())
    escapee = int((work / "escapee.pid").read_text())
    (folder,) = _run_folders(tmp)
    run_id = folder.name[len(RUN_PREFIX):]
    assert procs.marked(run_id)  # the shell, its sleep and the escapee carry the run's marker
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _wait(lambda: not procs.marked(run_id) and not procs.is_alive(escapee, None)), "test processes outlived codeloop"
    assert _wait(lambda: not folder.exists()), "the reaper did not remove the run folder"


def test_the_next_run_sweeps_what_a_dead_run_left(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{RUN_PREFIX}{dead.pid}-12345-abc123"
    (stale / "sandboxes-x" / "copy0").mkdir(parents=True)
    (stale / ".owner").write_text("")  # no one holds its lock: its owner died
    straggler = subprocess.Popen(["sleep", "300"], env={"PATH": os.defpath, "CODELOOP_RUN": f"{dead.pid}-12345-abc123"}, start_new_session=True)
    # One that cleared its environment: found by its working folder inside the run folder.
    unmarked = subprocess.Popen(["/bin/sleep", "300"], env={}, cwd=stale / "sandboxes-x" / "copy0", start_new_session=True)
    live = RunSession(tmp_path)  # a new run sweeps first
    try:
        assert not stale.exists()
        assert straggler.wait(timeout=10) == -signal.SIGKILL
        assert unmarked.wait(timeout=10) == -signal.SIGKILL
        assert sweep_stale(tmp_path) == []  # a live run's folder (its lock is held) is left alone
        assert live.folder.is_dir()
    finally:
        live.close()
    assert not live.folder.exists()


SLOW_REPO = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": (
        "import os, time\nfrom calc import add\n\n\ndef test_add():\n"
        "    open(os.path.join(os.environ['TMPDIR'], 'started'), 'a').write('x')\n    time.sleep(60)\n    assert add(2, 3) == 5\n"
    ),
}


@pytest.mark.parametrize(("name", "command"), [
    ("SIGINT", "fix"), ("SIGTERM", "fix"), ("SIGHUP", "fix"), ("SIGTERM", "review"),
])
def test_a_signal_stops_the_command_cleanly(tmp_path: Path, name: str, command: str) -> None:
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b  # unstaged edit\n")
    if command == "review":
        git(repo, "add", "calc.py")
    before = snapshot(repo)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    args = ["fix", "--no-model", "--time-budget", "300", str(repo)] if command == "fix" else ["review", "--staged", "--no-model", str(repo)]
    env = _env(tmp)
    proc = subprocess.Popen([sys.executable, "-m", "codeloop", *args], cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # A test run may write only inside codeloop's run folder (under `tmp`): look there.
    assert _wait(lambda: any(tmp.rglob("started")), 120), "the tests never started"
    signum = getattr(signal, name)
    sent = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15
    assert proc.returncode == 128 + signum
    assert err.strip().splitlines()[-1] == f"codeloop: interrupted ({name}); your working tree is unchanged"
    assert snapshot(repo) == before
    assert _run_folders(tmp) == []
    assert _wait(lambda: not _mentioning(str(tmp)), 10), "a test process survived"


def _mentioning(text: str) -> list[int]:
    """Live processes whose environment mentions ``text`` (every contained run's HOME and
    TMPDIR lie under the TMPDIR given to codeloop)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                env = Path(f"/proc/{name}/environ").read_bytes()
            except OSError:
                continue
            if text.encode() in env and procs.is_alive(int(name), None):
                found.append(int(name))
    return found
