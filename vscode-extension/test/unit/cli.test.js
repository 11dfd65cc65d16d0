// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const cli = require('../../src/cli');

const defaults = cli.normalizeSettings({});

test('settings: junk from the settings editor falls back to safe values', () => {
  assert.deepEqual(defaults, { executable: 'codeloop', model: '', timeBudget: 0, noModel: false, testCommand: '' });
  const s = cli.normalizeSettings({ executable: '  /v/bin/codeloop ', model: 3, timeBudget: '-5', noModel: 'yes', testCommand: 7 });
  assert.deepEqual(s, { executable: '/v/bin/codeloop', model: '', timeBudget: 0, noModel: false, testCommand: '' });
  assert.equal(cli.normalizeSettings({ model: ' qwen2.5-coder-0.5b ' }).model, 'qwen2.5-coder-0.5b');
});

test('fix is always a preview with events: --dry-run --json --events jsonl; options only when set; folder last', () => {
  assert.deepEqual(cli.fixInvocation(defaults, '/ws'), { command: 'codeloop', args: ['fix', '--dry-run', '--json', '--events', 'jsonl', '/ws'] });
  const s = cli.normalizeSettings({ executable: 'cl', model: 'qwen2.5-coder-0.5b', timeBudget: 30, testCommand: 'pytest -x tests' });
  assert.deepEqual(cli.fixInvocation(s, '/ws').args,
    ['fix', '--dry-run', '--json', '--events', 'jsonl', '--time-budget', '30', '--model', 'qwen2.5-coder-0.5b', '--test-cmd', 'pytest -x tests', '/ws']);
  const cheap = cli.normalizeSettings({ model: 'qwen2.5-coder-0.5b', noModel: true });
  assert.deepEqual(cli.fixInvocation(cheap, '/ws').args.slice(5), ['--no-model', '/ws'], '--no-model wins over a chosen model');
});

test('generate names FILE::NAME, previews, and takes the model even with noModel (it cannot do without)', () => {
  const s = cli.normalizeSettings({ model: 'm.gguf', noModel: true, timeBudget: 90 });
  assert.deepEqual(cli.generateInvocation(s, '/ws/calc.py', 'double').args,
    ['generate', '/ws/calc.py::double', '--dry-run', '--json', '--events', 'jsonl', '--time-budget', '90', '--model', 'm.gguf']);
});

test('extract-method previews; with a name nothing needs the model', () => {
  const s = cli.normalizeSettings({ noModel: true, testCommand: 'make test' });
  assert.deepEqual(cli.extractInvocation(s, '/ws/a.py', { start: 6, end: 8 }).args,
    ['refactor', 'extract-method', '/ws/a.py', '--lines', '6-8', '--dry-run', '--json', '--events', 'jsonl', '--no-model', '--test-cmd', 'make test']);
  assert.deepEqual(cli.extractInvocation(s, '/ws/a.py', { start: 6, end: 8 }, 'product').args.slice(9), ['--name', 'product', '--test-cmd', 'make test']);
});

test('apply reads the previewed result on stdin; undo, review, map, model list and doctor speak JSON', () => {
  const s = cli.normalizeSettings({ noModel: true });
  assert.deepEqual(cli.applyInvocation(s).args, ['apply', '--json', '-']);
  assert.deepEqual(cli.undoInvocation(s, '/ws').args, ['undo', '--json', '/ws']);
  assert.deepEqual(cli.reviewInvocation(s, { staged: true }).args, ['review', '--staged', '--format', 'json', '--events', 'jsonl', '--no-model']);
  assert.deepEqual(cli.reviewInvocation(defaults, { files: ['/ws/a.py'] }).args, ['review', '--worktree', '--format', 'json', '--events', 'jsonl', '/ws/a.py']);
  assert.deepEqual(cli.mapInvocation(s, '/ws', 'src/a.py').args, ['map', '--json', '--focus', 'src/a.py', '/ws']);
  assert.deepEqual(cli.mapInvocation(s, '/ws', undefined).args, ['map', '--json', '/ws']);
  assert.deepEqual(cli.modelListInvocation(s).args, ['model', 'list', '--json']);
  assert.deepEqual(cli.doctorInvocation(cli.normalizeSettings({ model: 'qwen2.5-coder-0.5b' }), '/ws').args, ['doctor', '--json', '--model', 'qwen2.5-coder-0.5b', '/ws']);
});

test('selection lines: 1-based inclusive; a trailing column-0 line is not selected', () => {
  assert.deepEqual(cli.selectionLines({ startLine: 5, endLine: 7, endCharacter: 12 }), { start: 6, end: 8 });
  assert.deepEqual(cli.selectionLines({ startLine: 5, endLine: 8, endCharacter: 0 }), { start: 6, end: 8 });
  assert.deepEqual(cli.selectionLines({ startLine: 5, endLine: 5, endCharacter: 0 }), { start: 6, end: 6 });
});

test('a typed function name must be an identifier', () => {
  assert.equal(cli.nameProblem('product_of'), '');
  assert.match(cli.nameProblem(''), /needed/);
  assert.match(cli.nameProblem('2x'), /letters/);
  assert.match(cli.nameProblem('a-b'), /letters/);
});
