// @ts-check
// Runs one codeloop command as a child process and collects its outcome: exit status,
// stdout (the `--json` object), and the events its stderr carried. No `vscode` here:
// cancellation comes in as a callback registration, so node --test can drive it too.
'use strict';

const { spawn } = require('node:child_process');
const { LineSplitter, parseEventLine } = require('./events');

/** After SIGINT, how long the CLI gets to restore the tree and exit 130 before SIGTERM. */
const INTERRUPT_GRACE_MS = 20000;

/**
 * @typedef {import('./cli').Invocation} Invocation
 * @typedef {import('./cli').Outcome} Outcome
 * @typedef {import('./events').CliEvent} CliEvent
 * @typedef {object} RunOptions
 * @property {string} cwd
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [input]  written to stdin, which is then closed (e.g. `codeloop apply -`)
 * @property {boolean} [answers]  keep stdin open for answers to `Question` events (closed after
 *   the `result` event; closing it earlier makes the CLI take each question's default)
 * @property {(cancel: () => void) => void} [onCancel]  registers what cancelling should do
 * @property {(event: CliEvent, reply: (line: string) => void) => void} [onEvent]  each event as it comes
 * @property {(line: string) => void} [onText]  stderr lines that are not events (for people only)
 */

/**
 * Resolves with the exit status, both streams and the events; rejects only when the process
 * cannot start (ENOENT: the executable is not on PATH), which the caller turns into a settings
 * hint. Cancelling sends SIGINT, as Ctrl-C would: the CLI then changes nothing and exits 130.
 * @param {Invocation} inv
 * @param {RunOptions} opts
 * @returns {Promise<Outcome>}
 */
function runCli(inv, opts) {
  return new Promise((resolve, reject) => {
    const piped = opts.input !== undefined || !!opts.answers;
    const child = spawn(inv.command, inv.args, { cwd: opts.cwd, env: opts.env || process.env, stdio: [piped ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    /** @type {CliEvent[]} */
    const events = [];
    const lines = new LineSplitter();
    /** @type {NodeJS.Timeout | undefined} */
    let escalate;
    const stdin = child.stdin;
    if (stdin) stdin.on('error', () => { /* the CLI exited before reading: its exit status says why */ });
    const closeStdin = () => { if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end(); };
    const reply = (/** @type {string} */ line) => { if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.write(line.endsWith('\n') ? line : line + '\n'); };
    const take = (/** @type {string[]} */ completed) => {
      for (const line of completed) {
        const event = parseEventLine(line);
        if (event) {
          events.push(event);
          if (opts.onEvent) opts.onEvent(event, reply);
          if (event.event === 'result') closeStdin();
        } else if (line.trim() && opts.onText) {
          opts.onText(line);
        }
      }
    };
    /** @type {import('node:stream').Readable} */ (child.stdout).setEncoding('utf8').on('data', (d) => { stdout += d; });
    /** @type {import('node:stream').Readable} */ (child.stderr).setEncoding('utf8').on('data', (d) => {
      stderr += d;
      take(lines.push(d));
    });
    child.on('error', (err) => {
      if (escalate) clearTimeout(escalate);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (escalate) clearTimeout(escalate);
      take(lines.end());
      resolve({ code, signal, stdout, stderr, events });
    });
    if (opts.input !== undefined && stdin) stdin.end(opts.input);
    if (opts.onCancel) {
      opts.onCancel(() => {
        // Once: a second SIGINT would land in the CLI's own clean-up (as a second Ctrl-C does).
        if (escalate || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT');
        escalate = setTimeout(() => child.kill('SIGTERM'), INTERRUPT_GRACE_MS);
      });
    }
  });
}

/**
 * The message for a CLI that could not be started at all.
 * @param {Error & {code?: string}} err
 * @param {string} executable
 */
function startFailureMessage(err, executable) {
  if (err.code === 'ENOENT') {
    return `codeloop: '${executable}' was not found. Install codeloop, or set "codeloop.executable" to its full path (e.g. /path/to/.venv/bin/codeloop).`;
  }
  return `codeloop: could not start '${executable}': ${err.message}`;
}

module.exports = { runCli, startFailureMessage, INTERRUPT_GRACE_MS };
