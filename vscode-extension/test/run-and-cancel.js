// @ts-check
// Runs a real CLI through run.js and cancels it (as the progress notification's Cancel does)
// once its stderr shows `afterText`; prints the outcome as JSON. For tests/test_vscode_extension.py.
// Usage: node run-and-cancel.js CWD AFTER_TEXT COMMAND ARGS...
'use strict';
const { runCli } = require('../src/run');

const [cwd, afterText, command, ...args] = process.argv.slice(2);
/** @type {() => void} */
let cancel = () => {};
let seen = '';
runCli({ command, args }, {
  cwd,
  onCancel: (c) => { cancel = c; },
  onStderr: (chunk) => {
    seen += chunk;
    if (seen.includes(afterText)) cancel();
  },
}).then((out) => process.stdout.write(JSON.stringify(out)));
