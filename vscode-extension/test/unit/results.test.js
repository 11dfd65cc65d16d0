// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const r = require('../../src/results');

/** @param {number | null} code @param {unknown} json @param {string} [stderr] */
const out = (code, json, stderr = '') => ({ code, signal: null, stdout: json === undefined ? '' : JSON.stringify(json), stderr });

// Shapes recorded from `codeloop fix --json --no-model` on a repo with `return a - b` in add().
const FIXED = { status: 'fixed', diff: '--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-    return a - b\n+    return a + b\n', files: ['calc.py'], seconds: 4.262, stage: 'cheap', winner: "line 2: '-' -> '+'", message: '', applied: true };
const UNFIXED = { status: 'unfixed', diff: '', files: [], seconds: 14.1, stage: '', winner: '', message: 'no candidate passed the whole test command within the budget', applied: false };

test('fix: applied fix names the file and the edit, keeps the diff', () => {
  const res = r.fixResult(out(0, FIXED));
  assert.equal(res.kind, 'fixed');
  assert.match(res.message, /codeloop fixed calc\.py: line 2: '-' -> '\+' \(cheap tier, 4\.3 s\)/);
  assert.ok(res.kind === 'fixed' && res.diff.includes('+    return a + b'));
});

test('fix: a fixed-but-not-applied result (refused at apply) is not reported as a fix', () => {
  assert.equal(r.fixResult(out(1, { ...FIXED, status: 'unfixed', applied: false, message: 'calc.py changed meanwhile' })).kind, 'unfixed');
  assert.equal(r.fixResult(out(0, { ...FIXED, applied: false })).kind, 'unfixed');
});

test('fix: no verified fix says so and that nothing changed', () => {
  const res = r.fixResult(out(1, UNFIXED));
  assert.equal(res.kind, 'unfixed');
  assert.match(res.message, /no verified fix: no candidate passed .*Nothing was changed/);
});

test('fix: passing, usage error (exit 2), cancelled (130), broken output', () => {
  assert.equal(r.fixResult(out(0, { status: 'passing', applied: false })).kind, 'passing');
  const usage = r.fixResult(out(2, { status: 'error', message: '--time-budget must be a positive number of seconds' }, 'codeloop: --time-budget must be a positive number of seconds\n'));
  assert.deepEqual(usage, { kind: 'usage', message: '--time-budget must be a positive number of seconds' });
  assert.deepEqual(r.fixResult(out(2, undefined, 'Usage: codeloop fix\ncodeloop: no such option --x\n')), { kind: 'usage', message: 'no such option --x' });
  assert.equal(r.fixResult(out(130, undefined, 'codeloop: interrupted; your working tree is unchanged')).kind, 'cancelled');
  assert.equal(r.fixResult({ code: null, signal: 'SIGINT', stdout: '', stderr: '' }).kind, 'cancelled');
  assert.deepEqual(r.fixResult(out(1, undefined, 'Traceback...\nValueError: x\n')), { kind: 'error', message: 'ValueError: x' });
});

test('undo: restored files, or the refusal line', () => {
  assert.deepEqual(r.undoResult(out(0, undefined, 'restored: calc.py\n')), { ok: true, message: 'codeloop undo: restored: calc.py' });
  assert.deepEqual(r.undoResult(out(1, undefined, 'codeloop: nothing to undo\n')), { ok: false, message: 'nothing to undo' });
});

// Shape recorded from `codeloop review --staged --format json --no-model` (exit 1: blocking).
const REVIEW = { status: 'ok', findings: [
  { path: 'pkg/calc.py', start_line: 2, end_line: 3, label: 'issue', blocking: true, message: 'test fails', source: 'tests', suggestion: '', rule: 'codeloop/test-failure' },
  { path: 'calc.py', start_line: 7, end_line: 7, label: 'nit', blocking: false, message: 'unclear name', source: 'model', suggestion: 'call it total', rule: 'codeloop/model' },
], files: ['pkg/calc.py', 'calc.py'], blocking: 1 };

test('review: findings become 0-based diagnostic specs on absolute paths, blocking = error', () => {
  const res = r.reviewResult(out(1, REVIEW), '/repo');
  assert.ok(res.ok);
  assert.deepEqual(res.diagnostics[0], { file: '/repo/pkg/calc.py', startLine: 1, endLine: 2, severity: 'error', message: 'test fails', source: 'codeloop (tests)', code: 'codeloop/test-failure' });
  assert.equal(res.diagnostics[1].severity, 'warning');
  assert.equal(res.diagnostics[1].message, 'unclear name\nSuggestion: call it total');
  assert.equal(res.summary, 'codeloop review: 2 finding(s), 1 blocking, in 2 staged file(s).');
});

test('review: no findings, and errors', () => {
  const none = r.reviewResult(out(0, { status: 'ok', findings: [], files: ['a.py'] }), '/repo');
  assert.ok(none.ok && none.diagnostics.length === 0 && /no findings in 1/.test(none.summary));
  assert.deepEqual(r.reviewResult(out(2, { status: 'error', message: '--staged and --rev exclude each other: pass one' }), '/repo'), { ok: false, message: '--staged and --rev exclude each other: pass one' });
});

test('extract-method: the new function, or the refusal reason (exit 1)', () => {
  const ok = r.extractResult(out(0, { status: 'extracted', applied: true, name: 'compute_r', function: 'mul', params: ['a', 'b'], lines: [6, 8], diff: 'D' }));
  assert.deepEqual(ok, { ok: true, diff: 'D', message: 'codeloop extracted lines 6-8 of mul into compute_r(a, b).' });
  const refused = r.extractResult(out(1, { status: 'error', message: 'refused: lines 1-9 include the def line of mul (line 5)' }));
  assert.deepEqual(refused, { ok: false, message: 'refused: lines 1-9 include the def line of mul (line 5)' });
});

test('map: files by rank with their signatures; a rejected --focus is retried', () => {
  const json = { status: 'ok', root: '/repo', focus: { files: ['calc.py'], symbols: [] }, tokens: 41, budget: 1024, files: [
    { path: 'calc.py', rank: 1, definitions: [{ line: 1, signature: 'def add(a, b):' }, { line: 5, signature: 'def mul(a, b):' }] }] };
  const res = r.mapResult(out(0, json));
  assert.ok(res.ok);
  assert.equal(res.text, '# codeloop map of /repo\n# focus: calc.py; 41/1024 tokens\n\ncalc.py:\n      1  def add(a, b):\n      5  def mul(a, b):\n');
  assert.ok(r.focusRejected(out(2, undefined, 'codeloop: --focus README.md: not a source file of this repo')));
  assert.ok(!r.focusRejected(out(2, undefined, 'codeloop: path does not exist')));
});
