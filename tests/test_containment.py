"""Test runs are contained: real processes, real escapes attempted."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from codeloop.containment import procs, session
from codeloop.containment.environment import child_env
from codeloop.runners.base import run_contained, run_shell
from tests.conftest import NO_MOUNT_NAMESPACE, mount_namespace_permitted

# A grandchild that double-forks and calls setsid(): out of the run's process group and
# session, re-parented away from the shell. It writes its pid, then sleeps.
DETACH = (
    f"{sys.executable} -c \"import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
    "        open('escapee.pid', 'w').write(str(os.getpid()))\n        time.sleep(300)\""
)


def _wait_for(path: Path, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def _gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not procs.is_alive(pid, None):
            return True
        time.sleep(0.02)
    return False


def test_a_detached_child_does_not_outlive_its_run(tmp_path: Path) -> None:
    result = run_shell(f"{DETACH}; sleep 0.3", tmp_path, timeout=30)
    assert result.exit_code == 0, result.output
    pid = int(_wait_for(tmp_path / "escapee.pid"))
    assert _gone(pid), "the double-forked, setsid() child survived the run"


def test_a_timeout_kills_the_whole_tree_detached_children_included(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_shell(f"{DETACH}; for i in 1 2 3 4 5 6 7 8; do sleep 100 & done; sleep 100", tmp_path, timeout=2)
    assert result.timed_out and result.exit_code == 124
    assert time.monotonic() - started < 15
    assert _gone(int(_wait_for(tmp_path / "escapee.pid")))
    assert not procs.marked(session.current().id)


def test_fifty_sleeping_children_do_not_outlive_the_run(tmp_path: Path) -> None:
    run_shell("for i in $(seq 50); do (sleep 300 &) ; done; true", tmp_path, timeout=30)
    assert not procs.marked(session.current().id)


def test_secrets_do_not_reach_the_candidate_and_home_tmp_are_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_home = Path(os.environ["HOME"])
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-must-not-leak")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-must-not-leak")
    monkeypatch.setenv("PYTHONAUTHTOKEN", "py-must-not-leak")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("VIRTUAL_ENV", "/some/venv")
    script = (
        "env > env.txt; echo home > \"$HOME/written-at-home\"; echo tmp > \"$TMPDIR/written-in-tmp\"; "
        "python3 -c 'import tempfile; print(tempfile.gettempdir())' > gettempdir.txt"
    )
    result = run_shell(script, tmp_path, timeout=30, extra_env={"PYTHONPATH": "/codeloop/plugin", "CODELOOP_SBFL_DATA": "/x"})
    assert result.exit_code == 0, result.output
    env = dict(line.split("=", 1) for line in (tmp_path / "env.txt").read_text().splitlines() if "=" in line)
    assert "must-not-leak" not in (tmp_path / "env.txt").read_text()
    assert env["PATH"] == os.environ["PATH"] and env["LC_ALL"] == "C.UTF-8" and env["VIRTUAL_ENV"] == "/some/venv"
    assert env["PYTHONPATH"] == "/codeloop/plugin" and env["CODELOOP_SBFL_DATA"] == "/x"  # codeloop's own values pass
    run_folder = str(session.current().folder)
    assert env["HOME"].startswith(run_folder) and env["TMPDIR"].startswith(run_folder)
    assert (tmp_path / "gettempdir.txt").read_text().strip().startswith(run_folder)
    # What the run wrote at "home" and in its temp folder went away with the run.
    assert not Path(env["HOME"]).exists() and not Path(env["TMPDIR"]).exists()
    assert not (real_home / "written-at-home").exists()


def test_pass_env_lets_a_user_hand_over_a_variable_on_purpose() -> None:
    source = {"PATH": "/bin", "DJANGO_SETTINGS_MODULE": "site.settings", "DATABASE_URL": "postgres://u:p@h/db",
              "CODELOOP_PASS_ENV": "DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS": "-x"}
    env = child_env(source, "/h", "/t", "run-1")
    assert env["DJANGO_SETTINGS_MODULE"] == "site.settings"
    assert "DATABASE_URL" not in env and "PYTEST_ADDOPTS" not in env
    assert env["HOME"] == "/h" and env["TMPDIR"] == "/t" and env["CODELOOP_RUN"] == "run-1"


def test_resource_limits_are_set_in_the_child(tmp_path: Path) -> None:
    result = run_shell("cat /proc/self/limits", tmp_path, timeout=30)
    limits = {line[:26].strip(): line[26:].split() for line in result.output.splitlines()[1:]}
    assert limits["Max cpu time"][0] == str(2 * 30 + 60)
    assert limits["Max core file size"][0] == "0"
    assert limits["Max address space"][0] != "unlimited"
    assert limits["Max processes"][0] != "unlimited"


def _network_isolation_permitted() -> bool:
    probe = run_shell("cat /proc/net/dev", Path("/"), timeout=30).output
    interfaces = [line.split(":")[0].strip() for line in probe.splitlines()[2:]]
    return interfaces == ["lo"]


def test_the_candidate_cannot_reach_a_server_outside_but_can_serve_on_loopback(tmp_path: Path) -> None:
    if not _network_isolation_permitted():
        pytest.skip("this OS permits no network namespace here (run as root, or allow unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1); see README: test runs then keep the network")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    got: list[bytes] = []

    def accept() -> None:
        server.settimeout(15)
        try:
            conn, _ = server.accept()
            got.append(conn.recv(100))
        except OSError:
            pass

    listener = threading.Thread(target=accept)
    listener.start()
    leak = (
        "import os, socket\n"
        "try:\n"
        f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=3); s.sendall(os.environ.get('OPENAI_API_KEY', 'none').encode()); print('SENT')\n"
        "except OSError as e:\n    print('BLOCKED', e)\n"
        "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(); c = socket.create_connection(srv.getsockname()); print('LOOPBACK OK')\n"
    )
    (tmp_path / "leak.py").write_text(leak)
    result = run_shell(f"{sys.executable} leak.py", tmp_path, timeout=30)
    server.close()
    listener.join()
    assert "BLOCKED" in result.output and "LOOPBACK OK" in result.output, result.output
    assert got == []


def test_network_opt_out_keeps_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(session.NETWORK_OPT_OUT, "1")
    result = run_shell("cat /proc/net/dev", tmp_path, timeout=30)
    own = open("/proc/net/dev").read().splitlines()[2:]
    assert len(result.output.splitlines()[2:]) == len(own)


def test_run_contained_feeds_stdin_and_keeps_stderr_apart(tmp_path: Path) -> None:
    code = "import sys; sys.stderr.write('noise'); print(sys.stdin.read().upper())"
    result = run_contained([sys.executable, "-c", code], tmp_path, timeout=30, input=b"abc", merge_stderr=False)
    assert result.output.strip() == "ABC"


WRITES = (
    # A candidate's writes by absolute path (what the hostile catalog's escapes did), then
    # the writes a test run needs: its own copy, its HOME and TMPDIR, /dev/null, /dev/shm.
    "for target in {outside}/escaped.txt {repo}/.git/hooks/pre-commit /tmp/{token}; do "
    "  (echo pwned > $target) 2>/dev/null && echo WROTE $target || echo REFUSED $target; done; "
    "echo ok > in-copy.txt && echo ok > $HOME/at-home && echo ok > $TMPDIR/in-tmp && echo ok > /dev/null && echo WRITABLE; "
    "{python} -c 'import multiprocessing; multiprocessing.Lock(); print(\"SEMAPHORE\")'"
)


def _write_everywhere(tmp_path: Path) -> tuple[str, Path, list[Path]]:
    outside = tmp_path / "home"
    (outside / "repo" / ".git" / "hooks").mkdir(parents=True)
    token = f"codeloop-escape-{os.getpid()}-{time.monotonic_ns()}"
    copy = session.current().new_folder("copy-")  # where a candidate runs: a copy in the run folder
    script = WRITES.format(outside=outside, repo=outside / "repo", token=token, python=sys.executable)
    result = run_shell(script, copy, timeout=30)
    targets = [outside / "escaped.txt", outside / "repo" / ".git" / "hooks" / "pre-commit", Path("/tmp") / token]
    assert (copy / "in-copy.txt").read_text() == "ok\n"
    return result.output, copy, targets


def test_a_candidate_cannot_write_by_absolute_path_outside_its_copy(tmp_path: Path) -> None:
    if not mount_namespace_permitted():
        pytest.skip(NO_MOUNT_NAMESPACE)
    output, _, targets = _write_everywhere(tmp_path)
    assert "WROTE" not in output and output.count("REFUSED") == 3, output
    assert "WRITABLE" in output and "SEMAPHORE" in output, output
    assert not any(os.path.lexists(t) for t in targets)


def test_filesystem_opt_out_lets_test_runs_write_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(session.FILESYSTEM_OPT_OUT, "1")
    output, _, targets = _write_everywhere(tmp_path)
    try:
        assert output.count("WROTE") == 3 and "WRITABLE" in output, output
    finally:
        for target in targets:
            target.unlink(missing_ok=True)


def test_a_command_run_outside_the_run_folder_may_write_where_it_runs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    result = run_shell("echo ok > sub/made.txt && echo ok > $TMPDIR/x && echo DONE", tmp_path, timeout=30)
    assert "DONE" in result.output and (tmp_path / "sub" / "made.txt").read_text() == "ok\n"


def test_mountinfo_paths_are_unescaped() -> None:
    from codeloop.containment.launcher import _unescape

    assert _unescape(r"/mnt/my\040disk\134x") == "/mnt/my disk\\x"
    assert _unescape("/plain") == "/plain"


def test_a_link_to_a_folder_outside_is_read_through_not_written_through(tmp_path: Path) -> None:
    # The sandbox keeps a link to a folder outside the tree (a data set) as a link: the
    # mount namespace is what stops a test run from writing through it.
    if not mount_namespace_permitted():
        pytest.skip(NO_MOUNT_NAMESPACE)
    data = tmp_path / "dataset"
    data.mkdir()
    (data / "rows.csv").write_text("1,2\n")
    copy = session.current().new_folder("copy-")
    (copy / "data").symlink_to(data)
    result = run_shell("cat data/rows.csv && (echo x > data/new.csv) 2>&1; (echo x >> data/rows.csv) 2>&1; echo END", copy, timeout=30)
    assert "1,2" in result.output and result.output.count("Read-only file system") == 2, result.output
    assert sorted(p.name for p in data.iterdir()) == ["rows.csv"] and (data / "rows.csv").read_text() == "1,2\n"
