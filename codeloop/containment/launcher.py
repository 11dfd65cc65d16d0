"""The parent of one contained test run:
``launcher.main([PARENT, CPU, MEMORY, PROCESSES, NET, N, WRITABLE_1..N, ARGV...])``.

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
  way to take it away without root;
- with writable folders given (N > 0), a mount namespace of its own in which every
  other mount is read-only: a candidate that writes by absolute path (the real repo,
  its .git/hooks, HOME, /tmp) gets EROFS instead of an escape. The writable folders (the
  run folder: sandbox copies, scratch HOME and TMPDIR, reports) are bind-mounted onto
  themselves first, so they stay writable. Pseudo file systems (/proc, /sys, devpts)
  and /dev/shm (POSIX semaphores) are left as they are; device files such as /dev/null
  stay writable on a read-only mount. Same fallback as for the network: without
  CAP_SYS_ADMIN or unprivileged user namespaces the file system stays writable.

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
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE = 1024, 2048, 4096, 16384, 1 << 18
MS_RELATIME, MS_STRICTATIME = 1 << 21, 1 << 24
# Mount options that a user namespace locks: a read-only remount must repeat them.
_KEPT_OPTIONS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                 "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
# Kernel interfaces, not storage: remounting them is pointless or breaks the run.
_PSEUDO = frozenset({"proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs", "debugfs",
                     "tracefs", "bpf", "pstore", "hugetlbfs", "fusectl", "configfs", "binfmt_misc",
                     "autofs", "efivarfs", "nsfs", "rpc_pipefs", "selinuxfs"})
_LEFT_WRITABLE = ("/proc", "/sys", "/dev/shm", "/dev/pts", "/dev/mqueue")
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


def enter_namespaces(libc: ctypes.CDLL | None, network: bool, writable: list[str]) -> str:
    """Take the network away (``network``) and make all but ``writable`` read-only
    (when it is not empty), in new namespaces; say how, or why not."""
    if libc is None:
        return "no namespaces on this OS"
    wanted = (CLONE_NEWNET if network else 0) | (CLONE_NEWNS if writable else 0)
    if not wanted:
        return "none wanted"
    how = _unshare(libc, wanted)
    if how.startswith("unshare not permitted") and wanted == CLONE_NEWNET | CLONE_NEWNS:
        # e.g. a seccomp profile that allows one kind: take what we can get
        how = _unshare(libc, CLONE_NEWNET)
        wanted = CLONE_NEWNET if not how.startswith("unshare") else 0
    if wanted & CLONE_NEWNET:
        how += _loopback_up()
    if wanted & CLONE_NEWNS:
        how += read_only_except(libc, writable)
    return how


def _unshare(libc: ctypes.CDLL, flags: int) -> str:
    if libc.unshare(flags) == 0:
        return "ns"
    # Needs CAP_SYS_ADMIN: try inside an unprivileged user namespace.
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | flags) != 0:
        return f"unshare not permitted ({os.strerror(ctypes.get_errno())})"
    # Map our own ids so files keep their owner; setgroups must be denied first.
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        except OSError:
            pass
    return "userns+ns"


def _loopback_up() -> str:
    import fcntl
    import socket
    import struct

    try:  # tests that serve on 127.0.0.1 need lo up; a new namespace has it down
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH22x", b"lo", 0)
            flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
    except OSError:
        return " (loopback down)"
    return ""


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as \\ooo (no re: imports cost every run)
    parts = field.split("\\")
    return parts[0] + "".join(chr(int(p[:3], 8)) + p[3:] for p in parts[1:])


def mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, file system type, per-mount options) of this mount namespace, in order."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            dash = fields.index("-")
            found.append((_unescape(fields[4]), fields[dash + 1], set(fields[5].split(","))))
    return found


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def read_only_except(libc: ctypes.CDLL, writable: list[str]) -> str:
    """In a fresh mount namespace: remount every mount read-only but ``writable`` (and
    the pseudo file systems); '' when done, else why not (the file system stays writable)."""
    mount = libc.mount
    mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    # Nothing we do here may propagate back to the real mounts.
    if mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return f" (file system writable: {os.strerror(ctypes.get_errno())})"
    folders = [os.path.realpath(w) for w in writable if os.path.isdir(w)]
    for folder in folders:  # a mount of its own, so that remounting its parent leaves it writable
        if mount(folder.encode(), folder.encode(), None, MS_BIND | MS_REC, None) != 0:
            return f" (file system writable: cannot bind {folder}: {os.strerror(ctypes.get_errno())})"
    for point, kind, options in mounts():
        if kind in _PSEUDO or any(_inside(point, w) for w in (*_LEFT_WRITABLE, *folders)):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for name in options & _KEPT_OPTIONS.keys():
            flags |= _KEPT_OPTIONS[name]
        if mount(None, point.encode(), None, flags, None) != 0 and point == "/":
            return f" (file system writable: {os.strerror(ctypes.get_errno())})"
    # The cwd still points into the mount that was underneath the bind: enter the bind.
    try:
        os.chdir(os.getcwd())
    except OSError:
        pass
    return " + read-only file system"


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
    parent, cpu, memory, processes, network, count = (int(a) for a in args[:6])
    writable, argv = args[6 : 6 + count], args[6 + count :]
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
        enter_namespaces(libc, not network, writable)
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
