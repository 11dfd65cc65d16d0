// @ts-check
// Runs a real CLI through run.js and cancels it (as the progress notification's Cancel does)
// once it reports the event named `afterEvent`; prints the outcome as JSON. For
// tests/test_vscode_extension.py. Usage: node run-and-cancel.js CWD AFTER_EVENT COMMAND ARGS...
'use strict';
const { runCli } = require('../src/run');

const [cwd, afterEvent, command, ...args] = process.argv.slice(2);
/** @type {() => void} */
let cancel = () => {};
runCli({ command, args }, {
  cwd,
  onCancel: (c) => { cancel = c; },
  onEvent: (event) => { if (event.event === afterEvent) cancel(); },
}).then((out) => process.stdout.write(JSON.stringify(out)));
