// @ts-check
// Feeds one real CLI outcome to results.js, for tests/test_vscode_extension.py (so a change of
// the CLI's JSON shape breaks a test). stdin: {"command": "fix"|"review"|"extract"|"map",
// "outcome": {code, signal, stdout, stderr}, "top": "/repo"}; stdout: the parsed result as JSON.
'use strict';
const results = require('../src/results');

let input = '';
process.stdin.setEncoding('utf8').on('data', (d) => { input += d; }).on('end', () => {
  const { command, outcome, top } = JSON.parse(input);
  /** @type {Record<string, () => unknown>} */
  const parsers = {
    fix: () => results.fixResult(outcome),
    review: () => results.reviewResult(outcome, top),
    extract: () => results.extractResult(outcome),
    map: () => results.mapResult(outcome),
  };
  const parse = parsers[command];
  if (!parse) throw new Error(`unknown command ${command}`);
  process.stdout.write(JSON.stringify(parse()));
});
