// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { runCli, startFailureMessage } = require('../../src/run');

// Scripted stand-ins for the CLI (real child processes; the protocol's lines, scripted).
const TRAPS_SIGINT = "process.on('SIGINT', () => { process.stderr.write(JSON.stringify({v: 1, command: 'fix', event: 'result', t: 1, status: 'interrupted'}) + '\\n'); setTimeout(() => process.exit(130), 200); });"
  + "process.stderr.write(JSON.stringify({v: 1, command: 'fix', event: 'StageStarted', t: 0, stage: 'tests'}) + '\\n'); setInterval(() => {}, 1000);";
// Asks generate's question, waits for one stdin line, prints what it got as the result.
const ASKS = `
const q = {v: 1, command: 'generate', event: 'Question', t: 1, id: 7, question: 'rnd(0.5)?', options: [{id: '1', label: '0', detail: ''}], default: '1', free_text: true};
process.stderr.write('{"v": 1, "command": "generate", "ev');
setTimeout(() => process.stderr.write('ent": "Note", "t": 0.5, "message": "split across writes"}\\nnot an event\\n' + JSON.stringify(q) + '\\n'), 50);
let got = '';
let closed = false;
process.stdin.setEncoding('utf8').on('data', (d) => {
  got += d;
  if (!got.includes('\\n')) return;
  const payload = {status: 'generated', got};
  process.stderr.write(JSON.stringify({v: 1, command: 'generate', event: 'result', t: 2, ...payload}) + '\\n');
  process.stdout.write(JSON.stringify(payload));
}).on('end', () => { closed = true; setTimeout(() => process.exit(closed ? 0 : 1), 700); });
`;

test('runCli collects stdout, stderr, the events and the exit code', async () => {
  const script = "console.log('{}'); console.error('plain'); console.error(JSON.stringify({v: 1, command: 'x', event: 'Note', t: 0, message: 'm'})); process.exit(3)";
  /** @type {string[]} */
  const text = [];
  const out = await runCli({ command: process.execPath, args: ['-e', script] }, { cwd: __dirname, onText: (l) => text.push(l) });
  assert.deepEqual({ ...out, stderr: undefined }, { code: 3, signal: null, stdout: '{}\n', stderr: undefined, events: [{ v: 1, command: 'x', event: 'Note', t: 0, message: 'm' }] });
  assert.deepEqual(text, ['plain'], 'stderr lines that are not events are only passed on for people');
});

test('cancelling sends SIGINT once: the child reports its result event and exits 130', async () => {
  /** @type {() => void} */
  let cancel = () => {};
  const out = await runCli({ command: process.execPath, args: ['-e', TRAPS_SIGINT] }, {
    cwd: __dirname,
    onCancel: (c) => { cancel = c; },
    onEvent: (e) => { if (e.event === 'StageStarted') { cancel(); cancel(); } },
  });
  assert.equal(out.code, 130);
  assert.deepEqual(out.events?.map((e) => e.event), ['StageStarted', 'result'], 'SIGINT is sent once however often cancel fires');
});

test('a question event is answered with one stdin line (scripted CLI); stdin closes after the result', async () => {
  /** @type {string[]} */
  const seen = [];
  const out = await runCli({ command: process.execPath, args: ['-e', ASKS] }, {
    cwd: __dirname,
    answers: true,
    onEvent: (e, reply) => {
      seen.push(e.event);
      if (e.event === 'Question') reply(JSON.stringify({ answer: '0.25', question: e.id }));
      if (e.event === 'Question') setTimeout(() => reply('late, after stdin is closed: dropped\n'), 500);
    },
  }).catch((err) => assert.fail(err));
  assert.equal(out.code, 0, 'stdin was closed after the result event (else the script would wait)');
  assert.deepEqual(seen.slice(0, 2), ['Note', 'Question'], 'a line split across writes is one event');
  assert.deepEqual(JSON.parse(out.stdout), { status: 'generated', got: '{"answer":"0.25","question":7}\n' });
});

test('input is written to stdin and closed (codeloop apply -)', async () => {
  const echo = "let s = ''; process.stdin.on('data', (d) => { s += d; }).on('end', () => process.stdout.write(s.toUpperCase()));";
  const out = await runCli({ command: process.execPath, args: ['-e', echo] }, { cwd: __dirname, input: '{"status": "fixed"}' });
  assert.equal(out.stdout, '{"STATUS": "FIXED"}');
});

test('a missing executable rejects with ENOENT and a settings hint', async () => {
  await assert.rejects(runCli({ command: 'codeloop-does-not-exist', args: [] }, { cwd: __dirname }), (err) => {
    assert.match(startFailureMessage(/** @type {Error} */ (err), 'codeloop-does-not-exist'), /not found.*codeloop\.executable/);
    return true;
  });
});
