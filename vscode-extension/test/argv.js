// @ts-check
// Prints the argv the extension would run (src/cli.js), for tests/test_vscode_extension.py, so
// the real CLI is run with exactly the extension's flags. stdin: {"invocation": "fix",
// "settings": {...}, "params": ["/repo"]}; stdout: the args as a JSON list (without the executable).
'use strict';
const cli = require('../src/cli');

let input = '';
process.stdin.setEncoding('utf8').on('data', (d) => { input += d; }).on('end', () => {
  const { invocation, settings, params } = JSON.parse(input);
  const build = /** @type {Record<string, (...a: any[]) => cli.Invocation>} */ (/** @type {unknown} */ (cli))[`${invocation}Invocation`];
  if (typeof build !== 'function') throw new Error(`unknown invocation ${invocation}`);
  process.stdout.write(JSON.stringify(build(cli.normalizeSettings(settings || {}), ...(params || [])).args));
});
