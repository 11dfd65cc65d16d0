// @ts-check
// Feeds one real CLI outcome to results.js, for tests/test_vscode_extension.py (so a change of
// the CLI's JSON shape breaks a test). stdin: {"command": "fix"|"generate"|"extract"|"apply"|
// "undo"|"review"|"map"|"model"|"doctor", "outcome": {code, signal, stdout, stderr}, "top": "/repo"};
// the outcome's stderr is split into events as run.js does. stdout: the parsed result as JSON.
'use strict';
const results = require('../src/results');
const { LineSplitter, parseEventLine } = require('../src/events');

let input = '';
process.stdin.setEncoding('utf8').on('data', (d) => { input += d; }).on('end', () => {
  const { command, outcome, top } = JSON.parse(input);
  const lines = new LineSplitter();
  outcome.events = [...lines.push(outcome.stderr), ...lines.end()].map(parseEventLine).filter(Boolean);
  /** @type {Record<string, () => unknown>} */
  const parsers = {
    fix: () => results.fixResult(outcome),
    generate: () => results.generateResult(outcome),
    extract: () => results.extractResult(outcome),
    apply: () => results.applyResult(outcome),
    undo: () => results.undoResult(outcome),
    review: () => results.reviewResult(outcome, top),
    map: () => results.mapResult(outcome),
    model: () => results.modelStatus(outcome, ''),
    doctor: () => results.doctorSummary(outcome),
  };
  const parse = parsers[command];
  if (!parse) throw new Error(`unknown command ${command}`);
  process.stdout.write(JSON.stringify(parse()));
});
