// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const cli = require('../../src/cli');

const defaults = cli.normalizeSettings({});

test('settings: junk from the settings editor falls back to safe values', () => {
  assert.deepEqual(defaults, { executable: 'codeloop', timeBudget: 0, noModel: false, testCommand: '' });
  const s = cli.normalizeSettings({ executable: '  /v/bin/codeloop ', timeBudget: '-5', noModel: 'yes', testCommand: 7 });
  assert.deepEqual(s, { executable: '/v/bin/codeloop', timeBudget: 0, noModel: false, testCommand: '' });
});

test('fix argv: --json always, budget/no-model/test-cmd only when set, folder last', () => {
  assert.deepEqual(cli.fixInvocation(defaults, '/ws'), { command: 'codeloop', args: ['fix', '--json', '/ws'] });
  const s = cli.normalizeSettings({ executable: 'cl', timeBudget: 30, noModel: true, testCommand: 'pytest -x tests' });
  assert.deepEqual(cli.fixInvocation(s, '/ws').args, ['fix', '--json', '--time-budget', '30', '--no-model', '--test-cmd', 'pytest -x tests', '/ws']);
});

test('undo, review, extract-method and map argv follow each command\'s --help', () => {
  const s = cli.normalizeSettings({ noModel: true });
  assert.deepEqual(cli.undoInvocation(s, '/ws').args, ['undo', '/ws']);
  assert.deepEqual(cli.reviewInvocation(s).args, ['review', '--staged', '--format', 'json', '--no-model']);
  assert.deepEqual(cli.extractInvocation(s, '/ws/a.py', { start: 6, end: 8 }).args,
    ['refactor', 'extract-method', '/ws/a.py', '--lines', '6-8', '--json', '--no-model']);
  assert.deepEqual(cli.mapInvocation(s, '/ws', 'src/a.py').args, ['map', '--json', '--focus', 'src/a.py', '/ws']);
  assert.deepEqual(cli.mapInvocation(s, '/ws', undefined).args, ['map', '--json', '/ws']);
});

test('selection lines: 1-based inclusive; a trailing column-0 line is not selected', () => {
  assert.deepEqual(cli.selectionLines({ startLine: 5, endLine: 7, endCharacter: 12 }), { start: 6, end: 8 });
  assert.deepEqual(cli.selectionLines({ startLine: 5, endLine: 8, endCharacter: 0 }), { start: 6, end: 8 });
  assert.deepEqual(cli.selectionLines({ startLine: 5, endLine: 5, endCharacter: 0 }), { start: 6, end: 6 });
});

test('stderr: the last line, without the codeloop: prefix', () => {
  assert.equal(cli.lastStderrLine('[tests] baseline\ncodeloop: --time-budget must be positive\n\n'), '--time-budget must be positive');
  assert.equal(cli.lastStderrLine(''), '');
});

test('stdout: exactly one JSON object or null', () => {
  assert.deepEqual(cli.parseJsonObject(' {"status": "ok"}\n'), { status: 'ok' });
  assert.equal(cli.parseJsonObject('[1]'), null);
  assert.equal(cli.parseJsonObject('{"a": 1}\n{"b": 2}'), null);
  assert.equal(cli.parseJsonObject(''), null);
});
