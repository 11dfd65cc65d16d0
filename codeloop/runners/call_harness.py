"""Run inside a child Python: define each program, evaluate calls, print the outputs as JSON.

Stdlib only, and no codeloop import: it runs under whatever interpreter executes the
user's code. Input on stdin: {"programs": [...], "calls": [...], "call_timeout": s,
"sys_path": [...]}. Output on stdout (last line): {"outputs": [[...], ...]} where each
output is the repr of the result, the printed text when the call printed and returned
None, or "raises Name: message".

Module mode (comparing patches of a project, core/fix/behaviour.py): {"module": "pkg.mod",
"calls": [...], "call_timeout": s} imports the module as the project's tests would (the
caller puts the patched copy first on PYTHONPATH) and evaluates each call in its
namespace; floats in results are rounded to 9 significant digits, so patches that
compute the same value in another order agree. One row of outputs.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import sys


class _CallTimeout(BaseException):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _CallTimeout()


def _rounded(value: object, depth: int = 0) -> object:
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if depth < 3 and isinstance(value, (list, tuple)):
        return type(value)(_rounded(v, depth + 1) for v in value) if type(value) in (list, tuple) else value
    if depth < 3 and type(value) is dict:
        return {k: _rounded(v, depth + 1) for k, v in value.items()}
    return value


def _evaluate(call: str, namespace: dict, timeout: float, normalize: bool = False) -> str:
    printed = io.StringIO()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(printed):
            try:
                code = compile(call, "<call>", "eval")
            except SyntaxError:
                exec(compile(call, "<call>", "exec"), namespace)
                value = None
            else:
                value = eval(code, namespace)
    except _CallTimeout:
        return "raises TimeoutError: the call ran too long"
    except BaseException as exc:  # the candidate's own failure is data here
        return f"raises {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if value is None and printed.getvalue():
        return printed.getvalue().rstrip("\n")
    try:
        return repr(_rounded(value) if normalize else value)[:2000]
    except BaseException as exc:  # a repr that raises is the candidate's failure too
        return f"raises {type(exc).__name__}: {str(exc)[:200]}"


def _run(program: str, calls: list[str], timeout: float) -> list[str]:
    namespace: dict = {"__name__": "codeloop_candidate"}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(program, "<candidate>", "exec"), namespace)
    except BaseException as exc:
        error = f"raises {type(exc).__name__}: {str(exc)[:200]}"
        return [error for _ in calls]
    return [_evaluate(call, namespace, timeout) for call in calls]


def _run_module(module: str, calls: list[str], timeout: float) -> list[str]:
    import importlib

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            namespace = dict(vars(importlib.import_module(module)))
    except BaseException as exc:
        error = f"raises {type(exc).__name__}: {str(exc)[:200]}"
        return [error for _ in calls]
    return [_evaluate(call, namespace, timeout, normalize=True) for call in calls]


def _trace(program: str, call: str, name: str, timeout: float, keep: int = 8) -> list[str]:
    """The last ``keep`` line events inside function ``name``: line number and its locals."""
    namespace: dict = {"__name__": "codeloop_candidate"}
    events: list[str] = []

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        if frame.f_code.co_name != name:
            return None
        if event in ("line", "return"):
            shown = ", ".join(f"{k}={v!r:.40}" for k, v in frame.f_locals.items())
            line = frame.f_lineno - frame.f_code.co_firstlineno + 1  # counted from the def line
            where = "return" if event == "return" else f"line {line}"
            events.append(f"{where}: {shown}"[:200] + (f" -> {arg!r:.60}" if event == "return" else ""))
            del events[:-keep]
        return tracer

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(program, "<candidate>", "exec"), namespace)
        sys.settrace(tracer)
        _evaluate(call, namespace, timeout)
    except BaseException:
        pass
    finally:
        sys.settrace(None)
    return events


def main() -> None:
    # The payload comes on stdin, or in the file named by the first argument.
    payload = json.loads(open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read())
    sys.path[:0] = payload.get("sys_path", [])
    timeout = float(payload.get("call_timeout", 2.0))
    if payload.get("module"):
        outputs = [_run_module(payload["module"], payload["calls"], timeout)]
        sys.stdout.write("\n" + json.dumps({"outputs": outputs}) + "\n")
        return
    if payload.get("trace"):
        trace = _trace(payload["programs"][0], payload["calls"][0], payload["trace"], timeout)
        sys.stdout.write("\n" + json.dumps({"outputs": [trace]}) + "\n")
        return
    outputs = [_run(p, payload["calls"], timeout) for p in payload["programs"]]
    sys.stdout.write("\n" + json.dumps({"outputs": outputs}) + "\n")


if __name__ == "__main__":
    main()
