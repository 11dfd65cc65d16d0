// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ev = require('../../src/events');

// Event streams recorded from the real CLI (`--events jsonl` on stderr; paths replaced).
const fixture = (/** @type {string} */ name) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8');

/** @param {string} text */
function parseAll(text) {
  const lines = new ev.LineSplitter();
  return [...lines.push(text), ...lines.end()].map(ev.parseEventLine).filter((e) => e !== null);
}

test('lines may arrive in pieces; a last line without newline is kept', () => {
  const lines = new ev.LineSplitter();
  assert.deepEqual(lines.push('{"v": 1, "ev'), []);
  assert.deepEqual(lines.push('ent": "Note"}\r\n{"v"'), ['{"v": 1, "event": "Note"}']);
  assert.deepEqual(lines.end(), ['{"v"']);
  assert.deepEqual(lines.end(), []);
});

test('only protocol-1 objects with an event name are events; plain lines are not', () => {
  assert.deepEqual(ev.parseEventLine('{"v": 1, "command": "fix", "event": "Note", "t": 0.5, "message": "hi"}'),
    { v: 1, command: 'fix', event: 'Note', t: 0.5, message: 'hi' });
  for (const line of ['codeloop: --time-budget must be positive', 'Usage: codeloop fix [OPTIONS]', '{"v": 2, "event": "Note"}', '{"event": "Note"}', '{"v": 1}', '{broken', '[1]', '']) {
    assert.equal(ev.parseEventLine(line), null, line);
  }
});

test('a recorded cheap-tier fix: stages, counts and the failing test, in words', () => {
  const events = parseAll(fixture('fix-dry-run.events.jsonl'));
  assert.equal(events.length, 10);
  assert.equal(events[events.length - 1].event, 'result');
  const said = [];
  let p = ev.initialProgress();
  for (const e of events) {
    p = ev.advance(p, e);
    said.push(ev.describe(p));
  }
  assert.ok(said.includes('running the tests · /usr/bin/python3 -m pytest -q'), said.join('\n'));
  assert.ok(said.includes('trying one-token edits · 2/72 tried, 1 passed'), said.join('\n'));
  assert.equal(said[said.length - 1], 'checking the winner once more in a fresh copy');
  assert.deepEqual(p.failing, ['test_calc.py::test_add']);
  assert.equal(p.passedOverall, 1);
});

test('a recorded generate run: tokens per second of the latest answer, candidates tried and passed', () => {
  const events = parseAll(fixture('generate-dry-run.events.jsonl'));
  let p = ev.initialProgress();
  for (const e of events.filter((x) => x.event !== 'result')) p = ev.advance(p, e);
  assert.equal(p.command, 'generate');
  assert.match(ev.describe(p), /^writing code · \d+\/\d+ tried, 1 passed · \d+\.\d tok\/s$/);
  assert.ok(p.tokens > 0);
});

test('a recorded model-tier fix: the round, its candidates and the latest tokens per second', () => {
  const events = parseAll(fixture('fix-model-tier.events.jsonl'));
  let p = ev.initialProgress();
  const said = [];
  for (const e of events) {
    p = ev.advance(p, e);
    said.push(ev.describe(p));
  }
  assert.ok(said.includes('model round 1 · 0/1 tried, 0 passed · 0.5 tok/s'), said.join('\n'));
  assert.ok(said.includes('model round 1 · 3/3 tried, 0 passed · 3.8 tok/s'), said.join('\n'));
  assert.equal(p.note, 'time budget spent');
  const lines = events.map(ev.formatEvent);
  assert.ok(lines.includes('[  98.1s] candidate 1.1 (model): failed - assert None == 5 | +  where None = add(2, 3)'), lines.join('\n'));
  assert.ok(lines.includes('[  84.3s] round 1: 1 candidate(s), 25 tokens in 48.2 s (0.5 tok/s)'), lines.join('\n'));
});

test('model rounds: round number, candidates of the round and tokens per second', () => {
  /** @param {Record<string, any>} fields @returns {import('../../src/events').CliEvent} */
  const e = (fields) => ({ v: 1, command: 'fix', event: '', t: 1, ...fields });
  let p = ev.initialProgress('fix');
  p = ev.advance(p, e({ event: 'RoundStarted', round: 2, stage: 'model' }));
  p = ev.advance(p, e({ event: 'CandidatesSampled', round: 2, count: 4, completion_tokens: 120, seconds: 10, tokens_per_second: 12.04 }));
  p = ev.advance(p, e({ event: 'CandidateChecked', round: 2, candidate: 1, stage: 'model', outcome: 'failed' }));
  p = ev.advance(p, e({ event: 'CandidateChecked', round: 2, candidate: 2, stage: 'model', outcome: 'passed', diff: '--- a/x\n' }));
  assert.equal(ev.describe(p), 'model round 2 · 2/4 tried, 1 passed · 12.0 tok/s');
  p = ev.advance(p, e({ event: 'SomethingNew', anything: 1 }));
  assert.equal(ev.describe(p), 'model round 2 · 2/4 tried, 1 passed · 12.0 tok/s', 'unknown events change nothing');
});

test("fix's later stages in words: comparing patches, each model of a --model list", () => {
  /** @param {Record<string, any>} fields @returns {import('../../src/events').CliEvent} */
  const e = (fields) => ({ v: 1, command: 'fix', event: '', t: 1, ...fields });
  let p = ev.advance(ev.initialProgress('fix'), e({ event: 'StageStarted', stage: 'compare', detail: '2 plausible patch(es)' }));
  assert.equal(ev.describe(p), 'comparing the passing patches on probe inputs');
  p = ev.advance(p, e({ event: 'RoundStarted', round: 1, stage: 'model:qwen2.5-coder-0.5b' }));
  p = ev.advance(p, e({ event: 'CandidatesSampled', round: 1, count: 2, completion_tokens: 40, seconds: 10, tokens_per_second: 4 }));
  assert.equal(ev.describe(p), 'model qwen2.5-coder-0.5b round 1 · 0/2 tried, 0 passed · 4.0 tok/s');
  const line = ev.formatEvent(e({ event: 'PatchesCompared', t: 80.4, patches: 2, behaviours: 1, inputs: 12, chosen: "line 2: '-' -> '+'", confidence: 1, disagreements: [] }));
  assert.equal(line, "[  80.4s] compared 2 plausible patch(es): 1 behaviour(s) on 12 input(s); chose line 2: '-' -> '+' (confidence 1.00)");
});

test('every recorded event reads as one line for the output channel', () => {
  const lines = parseAll(fixture('fix-dry-run.events.jsonl')).map(ev.formatEvent);
  assert.ok(lines.every((l) => !l.includes('\n')));
  assert.ok(lines.includes('[  28.0s] tests (baseline): 1 failing (test_calc.py::test_add) in 22.6 s'), lines.join('\n'));
  assert.ok(lines.some((l) => l.endsWith("candidate 0.2 (cheap): passed - line 2: '-' -> '+'")), lines.join('\n'));
  assert.ok(lines[lines.length - 1].endsWith('result: fixed'));
});

test('a question becomes quick-pick options; the answer is one JSON line naming the question', () => {
  const q = ev.questionOf({
    v: 1, command: 'generate', event: 'Question', t: 41.2, id: 1,
    question: 'What should rnd(0.5) return?',
    options: [{ id: '1', label: '0', detail: '2 programs' }, { id: '2', label: '1', detail: '1 program' }],
    default: '1', free_text: true,
  });
  assert.ok(q);
  assert.deepEqual(q.options.map((o) => [o.id, o.label, o.detail]), [['1', '0', '2 programs'], ['2', '1', '1 program']]);
  assert.equal(q.defaultId, '1');
  assert.equal(q.freeText, true);
  assert.equal(ev.answerLine(q, '2'), '{"answer":"2","question":1}\n');
  assert.equal(ev.questionOf({ v: 1, command: 'fix', event: 'Note', t: 0, message: 'x' }), null);
  const p = ev.advance(ev.initialProgress('generate'), { v: 1, command: 'generate', event: 'Question', t: 1, id: 1, question: 'Which?', options: [] });
  assert.equal(ev.describe(p), 'waiting for your answer: Which?');
});
