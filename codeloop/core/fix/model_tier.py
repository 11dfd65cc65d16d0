"""The model tier: draw edits from one shared prompt, validate each, self-debug on failure.

Why it is shaped this way (on a CPU the prompt costs more than the answer):
- Every draw continues ONE prompt (prompts.problem_messages: the suspect function(s)
  with docstring, the signatures they call, the failing test and what it did); only
  the answer's prefill differs, so the prompt is read once per model and run.
- Answers cannot be wasted copies: SEARCH/REPLACE edits and single-line rewrites are
  grammar-bound to differ from the original; whole-function rewrites (which a small
  model often copies back) are checked, and after two copies in a round the round's
  remaining rewrites become edits, which are cheaper.
- Round 1 interleaves the forms, greedy first. Later rounds are LeDex-style
  self-debug: the best failed attempt (fewest failing tests, failing furthest into the
  test) goes back to the model with the real execution feedback, the model explains
  what is wrong, then rewrites it; fresh draws fill the rest of the round.
- Routing (MAgICoRe): a tier gets a ``share`` of the time left, so a bigger model
  configured after it still has time when the small one fails.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import PurePosixPath

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.edits import function_source, header_and_body_indent, replace_function, same_code
from codeloop.core.events import CandidateChecked, CandidatesSampled, ModelFailed, Note, RoundFinished, RoundStarted
from codeloop.core.fix import prompts
from codeloop.core.fix.answer_forms import LOCATE_PREFILL, Assembled, AnswerForm, edit_blocks, locate, single_line, whole_function
from codeloop.core.fix.callees import callee_signatures
from codeloop.core.fix.cheap_tier import CheapNotes
from codeloop.core.fix.context import Candidate, ModelUse, RepairContext, TierRun, Verdict
from codeloop.core.fix.localize import Suspect, TestContext
from codeloop.core.fix.warmup import Warmup
from codeloop.models.base import Backend, Completion, CompletionRequest, DeadlinePassed, MalformedAnswer, Message, ModelError, PromptTooLongError

_EDIT_TOKENS = 160  # two SEARCH/REPLACE blocks of a line or three each
# Room the read-ahead keeps for an answer: the context it sizes must also hold the
# draws' answers, or the first draw would reload the model and lose what was read.
_READ_AHEAD_ANSWER_TOKENS = 1024
_EXPLAIN_TOKENS = 96
_MAX_SHOWN_LINES = 60  # a second suspect is shown only while the prompt stays short
_COPIES_BEFORE_EDITS = 2  # whole-function copies in a round before its rewrites turn into edits
# Unusable answers in a row (bad encoding, not JSON, HTTP errors after retries) before
# the model counts as unable to serve this run: one is a glitch, three are a broken server.
MALFORMED_IN_A_ROW = 3


def suspicious_lines(ctx: RepairContext, suspect: Suspect, limit: int) -> list[tuple[int, float]]:
    """(0-based line in the dedented function, weight), most suspicious first.

    SBFL scores within the function, raised where the cheap tier saw a one-token edit
    change the failure and on traceback lines; without a spectrum, every body line
    counts the same.
    """
    span = suspect.function
    cheap = ctx.notes.get("cheap")
    changed = set(cheap.changed_failure.get(suspect.path, [])) if isinstance(cheap, CheapNotes) else set()
    # The header (decorators, signature, docstring) is the spec, never the target.
    header, _ = header_and_body_indent(function_source(ctx.read(suspect.path), span))
    first_body_line = span.start_line + max(1, header.count("\n"))
    scored = []
    lines = ctx.read(suspect.path).split("\n")
    for line in range(first_body_line, span.end_line + 1):
        score = ctx.ranking.score(suspect.path, line) if ctx.ranking is not None else 0.5
        # One failing test ties every line it runs; then lines that decide something
        # (comparisons, arithmetic) before loop headers and plain assignments.
        score += 0.001 * _decision_weight(lines[line - 1] if line <= len(lines) else "")
        if line in changed:
            score += 0.5
        if (suspect.path, line) in ctx.frame_lines:
            score += 0.25
        if score > 0:
            scored.append((line - span.start_line, score))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


_COMPARISON = re.compile(r"==|!=|<=|>=|(?<![<>-])[<>](?![<>=])|\b(?:and|or|not|in|is)\b")
_ARITHMETIC = re.compile(r"(?<![*/=<>!])[-+*/%](?![=>])|//|\*\*")


def _decision_weight(text: str) -> int:
    code = text.split("#", 1)[0]
    if code.lstrip().startswith("for "):
        code = code.split(" in ", 1)[-1]  # "in" of a loop header decides nothing
    return min(5, 2 * len(_COMPARISON.findall(code)) + len(_ARITHMETIC.findall(code)))


@dataclass(frozen=True)
class Draw:
    """One model call: a prompt, an answer form over some shown functions, sampling."""

    targets: tuple[Suspect, ...]  # the functions the form's indices refer to
    messages: tuple[Message, ...]
    form: AnswerForm
    temperature: float
    seed: int
    kind: str  # "fresh" | "refine"


@dataclass
class Attempt:
    suspect: Suspect
    source: str
    verdict: Verdict


def _failure_text(verdict: Verdict) -> str:
    """The attempt's failure as the model should read it: the failing line and values."""
    report = verdict.report
    if report is None or not report.failures:
        return verdict.detail or "the tests fail"
    first = report.failures[0]
    return prompts.failure_facts(TestContext(first.test_id, first.message, (), first.details))


def _progress(verdict: Verdict) -> tuple[int, int]:
    """Lower is more promising: fewer failing tests, then failing further into the test
    (a later assertion failing means the earlier ones passed)."""
    report = verdict.report
    if report is None:
        return (10**6, 0)
    depth = 0
    for failure in report.failures[:1]:
        test_lines = [f.line for f in failure.frames if "test" in PurePosixPath(f.path).name]
        depth = test_lines[-1] if test_lines else 0
    return (len(report.failures), -depth)


class ModelTier:
    name = "model"

    def __init__(self, backend_factory: Callable[[], Backend], label: str = "model", share: float = 1.0,
                 second_opinions: bool = False) -> None:
        self._backend_factory = backend_factory
        self._backend: Backend | None = None
        self.label = label  # the model's name in stats and --json
        self.share = share  # of the time left when the tier starts (a bigger model may follow)
        # Whether the loop may ask this model to confirm an earlier tier's confident fix
        # (loop.py): only a model whose own fix is evidence (a code model, not the 135M).
        self.second_opinions = second_opinions
        self.stage_key = f"model:{label}" if label != "model" else "model"
        self._deadline = 0.0
        self._malformed: list[str] = []  # unusable answers not yet reported (see _skip)
        self._in_a_row = 0
        self._warmup: Warmup | None = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._backend_factory()
        return self._backend

    def _left(self) -> float:
        return self._deadline - time.monotonic()

    def _use(self, ctx: RepairContext) -> ModelUse:
        return ctx.stats.models.setdefault(self.label, ModelUse())

    def _call(self, ctx: RepairContext, messages: tuple[Message, ...], prefill: str, grammar: str | None,
              temperature: float, seed: int, max_tokens: int, stop: tuple[str, ...] = ()) -> Completion:
        request = self._request(messages, prefill, grammar, temperature, seed, max_tokens, stop)
        return self._account(ctx, self._send(request, at_once=False), time.monotonic())

    def _request(self, messages: tuple[Message, ...], prefill: str, grammar: str | None,
                 temperature: float, seed: int, max_tokens: int, stop: tuple[str, ...] = ()) -> CompletionRequest:
        return CompletionRequest(
            messages=messages, n=1, max_tokens=max_tokens, temperature=temperature, seed=seed,
            prefill=prefill, grammar=grammar, stop=stop, deadline=self._deadline,
        )

    def _width(self) -> int:
        """Samples worth having in flight at once: a pool of servers says how many; an
        in-process model samples one at a time."""
        return max(1, int(getattr(self.backend, "parallelism", 1)))

    def _send(self, request: CompletionRequest, at_once: bool = True) -> Future[Completion]:
        """The backend's answer as a future: sent off to run beside others when the backend
        can (``submit``), else computed right here (the same as a plain call)."""
        submit = getattr(self.backend, "submit", None)
        if at_once and submit is not None and self._width() > 1:
            return submit(request)  # type: ignore[no-any-return]
        done: Future[Completion] = Future()
        try:
            done.set_result(self.backend.complete(request))
        except Exception as exc:  # noqa: BLE001 (raised again where the answer is read)
            done.set_exception(exc)
        return done

    def _account(self, ctx: RepairContext, answer: Future[Completion], started: float) -> Completion:
        """The answer, counted in the run's stats (here, in the loop's thread, never in a
        backend's)."""
        stats, use = ctx.stats, self._use(ctx)
        try:
            completion = answer.result()
        except DeadlinePassed:  # the time went into a prompt it could not finish: still spent
            use.cut += 1  # kept apart from the rates, which count finished calls only
            use.cut_seconds += time.monotonic() - started
            raise
        except MalformedAnswer as exc:
            self._skip(ctx, str(exc))
            raise
        self._in_a_row = 0
        stats.llm_calls += 1
        stats.prompt_tokens += completion.prompt_tokens
        stats.prompt_tokens_evaluated += completion.prompt_tokens_evaluated
        stats.completion_tokens += completion.completion_tokens
        stats.model_seconds += completion.seconds
        stats.prompt_seconds += completion.prompt_seconds
        use.calls += 1
        use.prompt_tokens_evaluated += completion.prompt_tokens_evaluated
        use.completion_tokens += completion.completion_tokens
        use.seconds += completion.seconds
        use.prompt_seconds += completion.prompt_seconds
        return completion

    def _skip(self, ctx: RepairContext, why: str) -> None:
        """An unusable answer: counted as wasted, reported by the rounds as a Note; a few in
        a row mean the model cannot serve this run (a ModelError, as if it had crashed)."""
        ctx.stats.wasted += 1
        ctx.stats.wasted_by["malformed answer"] = ctx.stats.wasted_by.get("malformed answer", 0) + 1
        self._use(ctx).wasted += 1
        self._malformed.append(why)
        self._in_a_row += 1
        if self._in_a_row >= MALFORMED_IN_A_ROW:
            raise ModelError(f"{self.label}: {self._in_a_row} unusable answers in a row from the model server (last: {why}); check the server and its log")

    def _skipped_notes(self) -> Iterator[Note]:
        for why in self._malformed:
            yield Note(f"{self.label}: answer skipped: {why}")
        self._malformed.clear()

    def prepare(self, ctx: RepairContext) -> None:
        """Start reading this tier's prompt while an earlier tier runs (core/fix/warmup.py).
        A model that cannot read ahead, or fails to, changes nothing: the tier meets and
        reports any failure itself when it runs."""
        if ctx.model_error or self._warmup is not None:
            return
        try:
            shown = self._shown(ctx)
            prefill = getattr(self.backend, "prefill", None) if shown else None
            if prefill is None:
                return
            request = CompletionRequest(messages=self._problem(ctx, shown, self._originals(ctx, shown)), n=1, max_tokens=_READ_AHEAD_ANSWER_TOKENS,
                                        temperature=0.0, seed=ctx.options.seed, deadline=ctx.deadline)
        except Exception:  # noqa: BLE001 (optional: run() meets the same failure and says why)
            return
        self._warmup = Warmup(prefill, request).start()

    def stop_preparing(self, ctx: RepairContext) -> Note | None:
        """End the read-ahead (within one step) and count what it read in the run's stats."""
        warm, self._warmup = self._warmup, None
        if warm is None:
            return None
        warm.stop()
        if not warm.evaluated:
            return None
        stats, use = ctx.stats, self._use(ctx)
        stats.prompt_tokens_evaluated += warm.evaluated
        stats.prompt_seconds += warm.seconds
        stats.model_seconds += warm.seconds
        use.prompt_tokens_evaluated += warm.evaluated
        use.prompt_seconds += warm.seconds
        use.seconds += warm.seconds
        use.read_ahead += warm.evaluated
        return Note(f"{self.label}: {warm.evaluated} prompt tokens read ahead while the earlier tier ran ({warm.seconds:.1f} s)")

    def run(self, ctx: RepairContext) -> TierRun:
        read_ahead = self.stop_preparing(ctx)
        if read_ahead is not None:
            yield read_ahead
        if ctx.model_error:  # already said, once, when it died
            return None
        self._deadline = min(ctx.deadline, time.monotonic() + self.share * ctx.remaining())
        try:
            return (yield from self._rounds(ctx))
        except ModelError as exc:
            yield from self._skipped_notes()
            ctx.model_error = str(exc)
            yield ModelFailed(str(exc))
        except DeadlinePassed:
            yield Note(f"{self.label}: its share of the time budget was spent during a model call")
        return None

    # -- the rounds ----------------------------------------------------------------------
    def _shown(self, ctx: RepairContext) -> list[Suspect]:
        """The suspects the prompt shows: the top one, and the second when it is nearly as
        suspicious and both are short (a fix may need to touch both)."""
        suspects = ctx.suspects[: ctx.options.max_suspects]
        shown = suspects[:1]
        if len(suspects) > 1:
            top, second = suspects[0], suspects[1]
            size = sum(s.function.end_line - s.function.start_line + 1 for s in suspects[:2])
            if second.score >= 0.5 * top.score and size <= _MAX_SHOWN_LINES:
                shown.append(second)
        return shown

    @staticmethod
    def _originals(ctx: RepairContext, shown: list[Suspect]) -> list[str]:
        return [function_source(ctx.read(s.path), s.function) for s in shown]

    def _problem(self, ctx: RepairContext, shown: list[Suspect], originals: list[str]) -> tuple[Message, ...]:
        """The prompt every draw continues (the read-ahead reads this same one)."""
        return prompts.problem_messages([(s.path, o) for s, o in zip(shown, originals)], ctx.tests, callee_signatures(ctx, shown))

    def _rounds(self, ctx: RepairContext) -> TierRun:
        options = ctx.options
        shown = self._shown(ctx)
        if not shown:
            yield Note("the model tier has no suspect function to rewrite (no traceback frame or called function in the repo)")
            return None
        originals = self._originals(ctx, shown)
        problem = self._problem(ctx, shown, originals)
        seen: set[tuple[str, ...]] = set()
        seen_failures: set[str] = set()
        best: Attempt | None = None
        for round_no in range(1, options.max_rounds + 1):
            if self._left() <= 0:
                yield Note(f"{self.label}: time spent")
                break
            ctx.stats.rounds = max(ctx.stats.rounds, round_no)
            yield RoundStarted(round_no, self.stage_key)
            draws = self._round_draws(ctx, problem, shown, originals, best, round_no)
            tried = 0
            new_failures: set[str] = set()
            copies = 0
            index = 0
            # Sampling ahead: with a pool of servers the next draws are in flight while this
            # one is tested. Each draw is chosen when it is sent, from the answers read so
            # far, so the same answers give the same draws (one at a time: exactly as before).
            upcoming = iter(draws)
            in_flight: deque[tuple[Draw, Future[Completion], float]] = deque()
            while True:
                while len(in_flight) < self._width() and self._left() > 0:
                    draw = next(upcoming, None)
                    if draw is None:
                        break
                    if copies >= _COPIES_BEFORE_EDITS and draw.form.label == "function" and draw.kind == "fresh" and "edit" in options.forms:
                        draw = Draw(draw.targets, draw.messages, edit_blocks(originals, _EDIT_TOKENS, self._weights(ctx, shown)), options.temperature, draw.seed, draw.kind)
                    request = self._request(draw.messages, draw.form.prefill, draw.form.grammar, draw.temperature, draw.seed, draw.form.max_tokens, draw.form.stop)
                    in_flight.append((draw, self._send(request), time.monotonic()))
                if not in_flight or self._left() <= 0:
                    break
                draw, answer, sent = in_flight.popleft()
                yield from self._skipped_notes()  # from an explanation or locate call
                try:
                    completion = self._account(ctx, answer, sent)
                except PromptTooLongError as exc:
                    yield Note(f"{self.label}: {exc}; the prompt does not fit this model")
                    return None
                except MalformedAnswer:  # a skipped sample (a bad answer is not a crash)
                    yield from self._skipped_notes()
                    continue
                index += 1
                yield CandidatesSampled(round_no, 1, completion.completion_tokens, completion.seconds, completion.decode_tokens_per_second)
                label = f"{self.label}, round {round_no}, sample {index} ({draw.kind} {draw.form.label})"
                assembled = draw.form.assemble(completion.texts[0]) if completion.texts else None
                outcome = self._screen(ctx, draw, assembled, seen)
                if outcome:
                    ctx.stats.wasted += 1
                    kind = f"{draw.form.label.split()[0]} {outcome}"
                    ctx.stats.wasted_by[kind] = ctx.stats.wasted_by.get(kind, 0) + 1
                    self._use(ctx).wasted += 1
                    copies += outcome == "unchanged" and draw.form.label == "function"
                    yield CandidateChecked(round_no, index, self.name, outcome, "answer does not parse as an edit of the function" if outcome == "invalid" else "")
                    continue
                assert assembled is not None
                candidate = self._candidate(ctx, draw.targets, assembled, label)
                verdict = ctx.validate(candidate)
                tried += 1
                self._use(ctx).candidates += 1
                yield CandidateChecked(round_no, index, self.name, verdict.outcome, _failure_text(verdict)[:200] if not verdict.passed else "", candidate.changes.diff() if verdict.passed else "")
                if verdict.passed:
                    yield RoundFinished(round_no, tried, 1)
                    return candidate
                if verdict.report is not None:
                    signature = verdict.report.signature()
                    if signature not in seen_failures:
                        new_failures.add(signature)
                    target = next(iter(assembled))
                    attempt = Attempt(draw.targets[target], assembled[target], verdict)
                    if best is None or _progress(verdict) < _progress(best.verdict):
                        best = attempt
            yield RoundFinished(round_no, tried, 0)
            if round_no > 1 and not new_failures:
                yield Note("stopping: this round repeated failures already seen")
                break
            seen_failures |= new_failures
        return None

    def _screen(self, ctx: RepairContext, draw: Draw, assembled: Assembled | None, seen: set[tuple[str, ...]]) -> str:
        """"" when the answer is worth running, else why not: invalid, unchanged, duplicate."""
        if not assembled:
            return "invalid"
        originals = {i: function_source(ctx.read(draw.targets[i].path), draw.targets[i].function) for i in assembled}
        if all(same_code(assembled[i], originals[i]) for i in assembled):
            return "unchanged"
        key = tuple(f"{draw.targets[i].key}\0{_normalized(assembled[i])}" for i in sorted(assembled))
        if key in seen:
            return "duplicate"
        seen.add(key)
        return ""

    def _candidate(self, ctx: RepairContext, targets: tuple[Suspect, ...], assembled: Assembled, origin: str) -> Candidate:
        by_path: dict[str, list[tuple[Suspect, str]]] = {}
        for i, source in assembled.items():
            by_path.setdefault(targets[i].path, []).append((targets[i], source))
        changes = []
        for path, edits in by_path.items():
            before = after = ctx.read(path)
            for suspect, source in sorted(edits, key=lambda e: -e[0].function.start_byte):  # bottom up: spans stay valid
                after = replace_function(after, suspect.function, source)
            changes.append(FileChange(path, before, after))
        return Candidate(ChangeSet(tuple(changes)), self.name, origin, targets[next(iter(assembled))].key)

    def _weights(self, ctx: RepairContext, shown: list[Suspect]) -> dict[tuple[int, int], float]:
        return {(f, line): w for f, s in enumerate(shown) for line, w in suspicious_lines(ctx, s, limit=50)}

    def _round_draws(self, ctx: RepairContext, problem: tuple[Message, ...], shown: list[Suspect], originals: list[str],
                     best: Attempt | None, round_no: int) -> Iterator[Draw]:
        """The draws of one round, in order; lazy, so a self-debug explanation is asked
        for only when the round gets that far."""
        options = ctx.options
        seed = options.seed + 1000 * round_no
        k = options.samples
        if best is not None and round_no > 1:
            refine = max(1, k // 2)
            yield from self._refine_draws(ctx, problem, best, refine, seed)
            k -= refine
        yield from self._fresh_draws(ctx, problem, shown, originals, k, options.line_samples, seed, greedy=round_no == 1)

    def _fresh_draws(self, ctx: RepairContext, problem: tuple[Message, ...], shown: list[Suspect], originals: list[str],
                     k: int, line_samples: int, seed: int, greedy: bool) -> Iterator[Draw]:
        """Edits, whole functions and single lines, interleaved (greedy first in round 1)."""
        temperature = ctx.options.temperature
        forms = ctx.options.forms
        targets = tuple(shown)
        n_functions = 0 if "function" not in forms else k if "edit" not in forms else (k + 1) // 2
        n_edits = k - n_functions if "edit" in forms else 0
        edit_form = edit_blocks(originals, _EDIT_TOKENS, self._weights(ctx, shown))
        function_forms = [whole_function(o, s.function.name, _function_tokens(o, ctx.options.max_new_tokens), i) for i, (s, o) in enumerate(zip(shown, originals))]
        edits = [Draw(targets, problem, edit_form, 0.0 if greedy and j == 0 else temperature, seed + j, "fresh") for j in range(n_edits)]
        # Rewrites go to the shown functions by rank: the top one gets the larger share.
        owners = [0 if j % 3 != 2 or len(shown) == 1 else 1 for j in range(n_functions)]
        functions = [Draw(targets, problem, function_forms[f], 0.0 if greedy and j == 0 else temperature, seed + 100 + j, "fresh") for j, f in enumerate(owners)]
        lines = []
        weights = [(0, line, w) for line, w in suspicious_lines(ctx, shown[0], limit=4)] if "line" in forms else []
        for (f, line, _), share in zip(weights, _proportional(line_samples, [w for _, _, w in weights])):
            form = single_line(originals[f], line, f)
            for j in range(share if form is not None else 0):
                assert form is not None
                lines.append((j, Draw(targets, problem, form, 0.0 if greedy and j == 0 else temperature, seed + 500 + 10 * line + j, "fresh")))
        # Greedy single lines first (one per suspicious line), then the sampled ones.
        line_draws = [d for _, d in sorted(lines, key=lambda item: item[0])]
        if greedy and "locate" in forms:
            # The model names the buggy line first; rewrites of that line lead the queue.
            spot = self._locate(ctx, problem, originals)
            form = single_line(originals[spot[0]], spot[1], spot[0]) if spot is not None else None
            if form is not None:
                located = [Draw(targets, problem, form, 0.0 if j == 0 else temperature, seed + 300 + j, "fresh") for j in range(3)]
                line_draws = located + [d for d in line_draws if d.form.label != form.label or d.targets != targets]
        # A whole rewrite first: on HumanEvalFix tasks 0-39 the 0.5B's greedy rewrite was
        # the draw that found the fix, its greedy SEARCH line and named "buggy line" were
        # the function's first line whatever the bug.
        yield from _interleave(functions[:1], line_draws[:1], edits[:1], line_draws[1:], functions[1:], edits[1:])

    def _locate(self, ctx: RepairContext, problem: tuple[Message, ...], originals: list[str]) -> tuple[int, int] | None:
        grammar, where = locate(originals)
        try:
            completion = self._call(ctx, problem, LOCATE_PREFILL, grammar, 0.0, ctx.options.seed, 96)
        except (PromptTooLongError, MalformedAnswer):
            return None
        return where(completion.texts[0]) if completion.texts else None

    def _refine_draws(self, ctx: RepairContext, problem: tuple[Message, ...], best: Attempt, count: int, seed: int) -> Iterator[Draw]:
        """LeDex-style self-debug: the attempt and its real failure, the model's
        explanation of it, then rewrites and edits of the attempt."""
        feedback = prompts.feedback_messages(problem, best.source, _failure_text(best.verdict))
        explanation = ""
        if ctx.options.explain:
            try:
                completion = self._call(ctx, feedback, "", None, 0.0, ctx.options.seed, _EXPLAIN_TOKENS, ("\n\n",))
                explanation = completion.texts[0] if completion.texts else ""
            except PromptTooLongError:
                return
            except MalformedAnswer:
                pass  # refine without an explanation
        messages = prompts.refine_messages(feedback, explanation)
        suspect = best.suspect
        temperature = ctx.options.temperature
        rewrite = whole_function(best.source, suspect.function.name, _function_tokens(best.source, ctx.options.max_new_tokens))
        edit = edit_blocks([best.source], _EDIT_TOKENS)
        for j in range(count):
            form = rewrite if j % 2 == 0 or "edit" not in ctx.options.forms else edit
            yield Draw((suspect,), messages, form, 0.0 if j < 2 else temperature, seed + 200 + j, "refine")


def _function_tokens(source: str, cap: int) -> int:
    """Room for a rewrite: the original's length in tokens (about 3 characters each for
    code) plus room to add a few statements; a copy cannot run on for long."""
    return max(64, min(cap, len(source) // 3 + 64))


def _normalized(source: str) -> str:
    import ast

    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source


def _interleave(*queues: list[Draw]) -> Iterator[Draw]:
    """One from each queue in turn, until all are empty."""
    pending = [list(q) for q in queues]
    while any(pending):
        for queue in pending:
            if queue:
                yield queue.pop(0)


def _proportional(total: int, weights: list[float]) -> list[int]:
    """``total`` samples in proportion to ``weights`` (largest remainder; ties go first).

    SBFL often ties every line a single failing test runs: those lines then get equal
    shares instead of the first line taking most of them.
    """
    if not weights:
        return []
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares
