"""The parent of one contained test run: ``launcher.main([PARENT, CPU, MEMORY, PROCESSES, NET, ARGV...])``.

It stays between codeloop and the test command so that nothing the command starts
outlives the run:
- it is a child subreaper (PR_SET_CHILD_SUBREAPER): a grandchild that double-forks or
  calls setsid() is re-parented to it, not to init; when the command ends, every
  descendant still alive is killed;
- PR_SET_PDEATHSIG gives it SIGTERM when codeloop dies, even by SIGKILL; SIGTERM, SIGINT
  and SIGHUP make it kill the whole tree and exit 128+signal;
- the command gets resource limits (CPU seconds, address space, processes, no core
  files) and, where the OS lets an unprivileged process do it, a network namespace of
  its own with only a loopback interface (unshare(CLONE_NEWNET), else inside a user
  namespace). When neither is permitted (e.g. unprivileged user namespaces disabled,
  or seccomp in a container) the command keeps the network: the OS gives us no other
  way to take it away without root.

Linux only for the prctl, namespace and /proc parts; elsewhere those steps are skipped
and only the process group and the limits remain. Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import resource
import _signal as signal  # not signal: its enums cost every test run an import of enum
import sys
import time

from codeloop.containment import procs

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl, libc.unshare  # noqa: B018 -- both exist on Linux only
        return libc
    except (OSError, AttributeError):
        return None


def isolate_network(libc: ctypes.CDLL | None) -> str:
    """Enter a network namespace with only an (up) loopback; say how, or why not."""
    if libc is None:
        return "no network namespaces on this OS"
    how = "netns"
    if libc.unshare(CLONE_NEWNET) != 0:  # needs CAP_SYS_ADMIN: try an unprivileged user namespace
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            return f"unshare not permitted ({os.strerror(ctypes.get_errno())})"
        how = "userns+netns"
        # Map our own ids so files keep their owner; setgroups must be denied first.
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            try:
                with open(f"/proc/self/{name}", "w") as handle:
                    handle.write(text)
            except OSError:
                pass
    import fcntl
    import socket
    import struct

    try:  # tests that serve on 127.0.0.1 need lo up; a new namespace has it down
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH22x", b"lo", 0)
            flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
    except OSError:
        how += " (loopback down)"
    return how


def _own_processes() -> int:
    uid = os.getuid()
    count = 0
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if name.isdigit():
            try:
                count += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return count


def apply_limits(cpu: int, memory: int, processes: int) -> None:
    """In the command's process before exec: limits it cannot raise again (soft = hard).

    RLIMIT_NPROC counts all of the user's processes, so it is set above what the user
    already runs (root is exempt from it by the kernel; the subreaper still bounds the run).
    """
    wanted = [(resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_CPU, cpu, cpu + 5)]
    if memory > 0:
        wanted.append((resource.RLIMIT_AS, memory, memory))
    if processes > 0:
        total = _own_processes() + processes
        wanted.append((resource.RLIMIT_NPROC, total, total))
    for which, soft, hard in wanted:
        _, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass


def kill_tree() -> None:
    """SIGKILL every live descendant (orphans included: they were re-parented to us) until
    none is left, reaping them as they die."""
    me = os.getpid()
    for _ in range(1000):
        # No child left means no descendant either (orphans come to us): skip /proc.
        live = procs.descendants(me) if _has_children() else []
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        if not live:
            return
        time.sleep(0.005)


def _has_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
        return True
    except ChildProcessError:
        return False


def _reap() -> None:
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def main(args: list[str]) -> None:
    # Plain arguments, not JSON: every import here is paid by every test run.
    parent, cpu, memory, processes, network = (int(a) for a in args[:5])
    argv = args[5:]
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    code = 125
    try:
        if os.getppid() != parent:  # codeloop died before PDEATHSIG was armed
            raise _Stopped(signal.SIGTERM)
        if not network:
            isolate_network(libc)
        child = os.fork()
        if child == 0:
            _become_command(argv, cpu, memory, processes)
        while True:
            pid, status = os.wait()
            if pid == child:
                code = _exit_code(status)
                break
    except _Stopped as stop:
        code = 128 + stop.signum
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        kill_tree()
    os._exit(code)


def _become_command(argv: list[str], cpu: int, memory: int, processes: int) -> None:
    try:
        # Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored across exec.
        for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGPIPE", "SIGXFSZ", "SIGXFZ"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        apply_limits(cpu, memory, processes)
        os.execvp(argv[0], argv)
    except BaseException as exc:  # noqa: BLE001 -- the forked child must never return
        try:
            os.write(2, f"codeloop: cannot run the test command: {exc}\n".encode())
        finally:
            os._exit(127)


if __name__ == "__main__":
    main(sys.argv[1:])
