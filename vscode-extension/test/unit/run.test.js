// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { runCli, startFailureMessage } = require('../../src/run');

// A stand-in CLI that behaves like codeloop on Ctrl-C: it traps SIGINT, says so, exits 130.
const TRAPS_SIGINT = "process.on('SIGINT', () => { process.stderr.write('codeloop: interrupted\\n'); setTimeout(() => process.exit(130), 200); });"
  + "process.stderr.write('working\\n'); setInterval(() => {}, 1000);";

test('runCli collects stdout, stderr and the exit code', async () => {
  const out = await runCli({ command: process.execPath, args: ['-e', "console.log('{}'); console.error('e'); process.exit(3)"] }, { cwd: __dirname });
  assert.deepEqual(out, { code: 3, signal: null, stdout: '{}\n', stderr: 'e\n' });
});

test('cancelling sends SIGINT: the child exits 130 on its own terms', async () => {
  /** @type {() => void} */
  let cancel = () => {};
  const seen = [];
  const running = runCli({ command: process.execPath, args: ['-e', TRAPS_SIGINT] }, {
    cwd: __dirname,
    onCancel: (c) => { cancel = c; },
    onStderr: (chunk) => { seen.push(chunk); if (chunk.includes('working')) { cancel(); cancel(); } },
  });
  const out = await running;
  assert.equal(out.code, 130);
  assert.equal(out.stderr.match(/interrupted/g)?.length, 1, 'SIGINT is sent once however often cancel fires');
});

test('a missing executable rejects with ENOENT and a settings hint', async () => {
  await assert.rejects(runCli({ command: 'codeloop-does-not-exist', args: [] }, { cwd: __dirname }), (err) => {
    assert.match(startFailureMessage(/** @type {Error} */ (err), 'codeloop-does-not-exist'), /not found.*codeloop\.executable/);
    return true;
  });
});
