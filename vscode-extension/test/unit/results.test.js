// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const r = require('../../src/results');
const { parseEventLine } = require('../../src/events');

// Results recorded from the real CLI (`--dry-run --json`; paths replaced by /work/project).
const fixture = (/** @type {string} */ name) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8');
const FIX = JSON.parse(fixture('fix-dry-run.json'));
const GENERATE = JSON.parse(fixture('generate-dry-run.json'));
const EXTRACT = JSON.parse(fixture('extract-dry-run.json'));

/** @param {number | null} code @param {unknown} json @param {string} [stderr] */
const out = (code, json, stderr = '') => ({ code, signal: null, stdout: json === undefined ? '' : JSON.stringify(json), stderr, events: [] });

test('fix --dry-run: a preview of the verified patch, the after texts under the project root', () => {
  const res = r.fixResult(out(0, FIX));
  assert.equal(res.kind, 'preview');
  assert.ok(res.kind === 'preview');
  assert.match(res.message, /^codeloop found a verified fix for calc\.py: line 2: '-' -> '\+' \(cheap tier, \d+\.\d s\)\. Apply it\?$/);
  assert.equal(res.patch.root, '/work/project');
  assert.equal(res.patch.label, 'fix');
  assert.deepEqual(res.patch.files.map((f) => f.file), ['/work/project/calc.py']);
  assert.ok(res.patch.files[0].after?.startsWith('def add(a, b):\n    return a + b\n'));
  assert.deepEqual(res.patch.payload, FIX, 'apply gets back exactly what the CLI printed');
});

test('fix: applied, passing, no verified fix, refused, usage and cancelled each read as themselves', () => {
  assert.equal(r.fixResult(out(0, { ...FIX, applied: true, patch: undefined })).kind, 'applied');
  assert.equal(r.fixResult(out(0, { status: 'passing', applied: false })).kind, 'passing');
  const unfixed = r.fixResult(out(1, { status: 'unfixed', message: 'no candidate passed the whole test command within the budget', applied: false }));
  assert.deepEqual(unfixed, { kind: 'unfixed', message: 'codeloop found no verified fix: no candidate passed the whole test command within the budget. Nothing was changed.' });
  assert.deepEqual(r.fixResult(out(2, { status: 'error', message: '--time-budget must be a positive number of seconds' })),
    { kind: 'usage', message: '--time-budget must be a positive number of seconds' });
  assert.deepEqual(r.fixResult(out(1, { status: 'error', message: 'internal error (KeyError: x); nothing was changed' })),
    { kind: 'error', message: 'internal error (KeyError: x); nothing was changed' });
  assert.equal(r.fixResult({ code: 130, signal: null, stdout: '', stderr: '' }).kind, 'cancelled');
  assert.equal(r.fixResult(out(0, { ...FIX, patch: { ...FIX.patch, v: 2 } })).kind, 'unfixed', 'a patch of an unknown version is never offered');
});

test('without stdout JSON the result event is read; stderr text never is', () => {
  const resultLine = JSON.stringify({ v: 1, command: 'fix', event: 'result', t: 3, ...FIX });
  const event = parseEventLine(resultLine);
  assert.ok(event);
  const res = r.fixResult({ code: 0, signal: null, stdout: '', stderr: resultLine + '\n', events: [event] });
  assert.equal(res.kind, 'preview');
  const parser = r.fixResult({ code: 2, signal: null, stdout: '', stderr: "Usage: codeloop fix [OPTIONS] [PATH]\nError: No such option: --events\n", events: [] });
  assert.equal(parser.kind, 'usage');
  assert.match(parser.message, /rejected its command line \(exit 2\); it may be older than this extension/);
  assert.doesNotMatch(parser.message, /No such option/);
  assert.match(r.fixResult({ code: 1, signal: null, stdout: 'Traceback', stderr: 'boom', events: [] }).message, /exited with 1 without a result/);
});

test('generate --dry-run: a preview naming the target, tokens and time', () => {
  const res = r.generateResult(out(0, GENERATE));
  assert.ok(res.kind === 'preview', JSON.stringify(res));
  assert.match(res.message, /^codeloop wrote calc\.py::double and it passes the visible tests \(4 program\(s\) tested, 78 tokens, \d+\.\d s\)\. Apply it\?$/);
  assert.ok(res.patch.files[0].after?.includes('    return n * 2\n'));
  const asked = r.generateResult(out(0, { ...GENERATE, ambiguity: { call: 'rnd(0.5)', resolved: 'user' } }));
  assert.match(asked.message, /chosen by your answer/);
  const failed = r.generateResult(out(1, { ...GENERATE, status: 'failed', message: 'no program passed the visible tests', patch: undefined }));
  assert.equal(failed.kind, 'unfixed');
  assert.match(failed.message, /no program passed the visible tests\. Nothing was changed\.$/);
  assert.equal(r.generateResult(out(1, { status: 'error', message: 'cannot generate without the model: x', model_error: 'x' })).kind, 'error');
});

test('extract-method --dry-run: the proposed name and where it came from; a refusal is its reason', () => {
  const res = r.extractResult(out(0, EXTRACT));
  assert.ok(res.kind === 'preview');
  assert.equal(res.name, 'compute_r');
  assert.equal(res.nameSource, 'fallback');
  assert.equal(res.message, 'codeloop extracts lines 6-8 of mul into compute_r(a, b) (checked: parses yes, tests none configured). Apply it?');
  const refused = r.extractResult(out(1, { status: 'error', message: 'refused: line 1 is the def line of mul; calc.py is unchanged' }));
  assert.deepEqual(refused, { kind: 'error', message: 'refused: line 1 is the def line of mul; calc.py is unchanged' });
});

test('apply and undo: their JSON, or the refusal it carries', () => {
  assert.deepEqual(r.applyResult(out(0, { status: 'applied', root: '/p', files: ['calc.py'] })), { ok: true, files: ['calc.py'], root: '/p' });
  assert.deepEqual(r.applyResult(out(1, { status: 'error', message: 'calc.py changed since the preview; nothing was written' })),
    { ok: false, message: 'calc.py changed since the preview; nothing was written' });
  assert.deepEqual(r.undoResult(out(0, { status: 'restored', root: '/p', files: ['calc.py', 'b.py'] })), { ok: true, message: 'codeloop undo: restored calc.py, b.py.' });
  assert.deepEqual(r.undoResult(out(2, { status: 'error', message: 'nothing to undo' })), { ok: false, message: 'nothing to undo' });
});

test('review: findings become diagnostics with 0-based lines; a suggestion becomes an edit of those lines', () => {
  const review = {
    status: 'ok', files: ['pkg/calc.py', 'util.py'], blocking: 1,
    findings: [
      { path: 'util.py', start_line: 5, end_line: 5, label: 'issue', blocking: true, message: '`reslt` is not defined anywhere in this file; did you mean `result`?', source: 'undefined-name', suggestion: '    return result', rule: 'codeloop/undefined-name' },
      { path: 'pkg/calc.py', start_line: 2, end_line: 3, label: 'suggestion', blocking: false, message: 'a nit', source: 'model', suggestion: '', rule: '' },
    ],
  };
  const res = r.reviewResult(out(1, review), '/top');
  assert.ok(res.ok);
  assert.deepEqual(res.files, ['/top/pkg/calc.py', '/top/util.py']);
  assert.equal(res.summary, 'codeloop review: 2 finding(s), 1 blocking, in 2 changed file(s).');
  const [undefinedName, nit] = res.diagnostics;
  assert.deepEqual([undefinedName.file, undefinedName.startLine, undefinedName.endLine, undefinedName.severity, undefinedName.source, undefinedName.code],
    ['/top/util.py', 4, 4, 'error', 'codeloop (undefined-name)', 'codeloop/undefined-name']);
  assert.deepEqual(r.suggestionEdit(undefinedName), { startLine: 4, endLine: 4, text: '    return result' });
  assert.deepEqual([nit.startLine, nit.endLine, nit.severity], [1, 2, 'warning']);
  assert.equal(r.suggestionEdit(nit), null);
  assert.equal(r.reviewResult(out(0, { status: 'ok', files: ['a.py'], findings: [] }), '/top').ok && 'clean', 'clean');
  assert.deepEqual(r.reviewResult({ code: 130, signal: null, stdout: '', stderr: '' }, '/top'), { ok: false, cancelled: true, message: 'codeloop review was cancelled.' });
  assert.deepEqual(r.reviewResult(out(2, { status: 'error', message: '--staged, --rev and --worktree exclude each other: pass one' }), '/top'),
    { ok: false, message: '--staged, --rev and --worktree exclude each other: pass one' });
});

test('status bar: the setting wins; else the default model list names, or why it cannot load', () => {
  assert.equal(r.modelStatus(null, '/models/my-coder.gguf').text, 'codeloop: my-coder.gguf');
  const list = (/** @type {Record<string, unknown>} */ d) => out(0, { status: 'ok', models: [], default: d });
  const ok = r.modelStatus(list({ name: 'smollm2-135m', configured: 'the built-in default', path: '/x/SmolLM2.gguf', error: null }), '');
  assert.deepEqual([ok.ok, ok.text], [true, 'codeloop: smollm2-135m']);
  assert.match(ok.tooltip, /from the built-in default/);
  const missing = r.modelStatus(list({ name: 'qwen2.5-coder-0.5b', configured: '[tool.codeloop] model in pyproject.toml', path: null, error: 'model qwen2.5-coder-0.5b is not pulled yet: run `codeloop model pull qwen2.5-coder-0.5b`' }), '');
  assert.deepEqual([missing.ok, missing.text], [false, 'codeloop: qwen2.5-coder-0.5b (not usable)']);
  assert.match(missing.tooltip, /codeloop model pull/);
  assert.equal(r.modelStatus(out(2, undefined), '').ok, false);
});

test('doctor: one line per model, then the problems', () => {
  const doctor = {
    status: 'problems', problems: ['model configured (q.gguf): truncated'],
    models: [
      { label: 'embedded', path: '/x/SmolLM2-135M-Instruct.Q4_1.gguf', loads: true, decode_tokens_per_second: 41.23, prompt_tokens_per_second: 310.7, error: '' },
      { label: 'configured', path: '/m/q.gguf', loads: false, error: 'truncated' },
    ],
  };
  assert.deepEqual(r.doctorSummary(out(1, doctor)), {
    ok: false,
    lines: [
      'embedded model SmolLM2-135M-Instruct.Q4_1.gguf: loads; decode 41.2 tok/s, prompt 311 tok/s',
      'configured model q.gguf: does not work (truncated)',
      'problem: model configured (q.gguf): truncated',
    ],
  });
});

test('map: files by rank with their signatures; a rejected --focus is worth a retry', () => {
  const map = { status: 'ok', root: '/r', focus: { files: ['calc.py'] }, tokens: 40, budget: 1024, files: [{ path: 'calc.py', definitions: [{ line: 1, signature: 'def add(a, b):' }] }] };
  const res = r.mapResult(out(0, map));
  assert.ok(res.ok);
  assert.equal(res.text, '# codeloop map of /r\n# focus: calc.py; 40/1024 tokens\n\ncalc.py:\n      1  def add(a, b):\n');
  assert.equal(r.focusRejected(out(2, { status: 'error', message: '--focus README.md: not a source file of the repository' })), true);
  assert.equal(r.focusRejected(out(1, { status: 'error', message: 'not a git repository' })), false, 'refused, not bad input: no retry');
  assert.equal(r.focusRejected(out(0, map)), false);
});
