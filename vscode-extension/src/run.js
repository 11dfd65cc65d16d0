// @ts-check
// Runs one codeloop command as a child process and collects its outcome. No `vscode` here:
// cancellation comes in as a callback registration, so node --test can drive it too.
'use strict';

const { spawn } = require('node:child_process');

/** After SIGINT, how long the CLI gets to restore the tree and exit 130 before SIGTERM. */
const INTERRUPT_GRACE_MS = 20000;

/**
 * @typedef {import('./cli').Invocation} Invocation
 * @typedef {import('./cli').Outcome} Outcome
 * @typedef {object} RunOptions
 * @property {string} cwd
 * @property {NodeJS.ProcessEnv} [env]
 * @property {(cancel: () => void) => void} [onCancel]  registers what cancelling should do
 * @property {(chunk: string) => void} [onStderr]  progress lines, e.g. for an output channel
 */

/**
 * Resolves with the exit status and both streams; rejects only when the process cannot start
 * (ENOENT: the executable is not on PATH), which the caller turns into a settings hint.
 * Cancelling sends SIGINT, as Ctrl-C would: the CLI then leaves the tree unchanged and exits 130.
 * @param {Invocation} inv
 * @param {RunOptions} opts
 * @returns {Promise<Outcome>}
 */
function runCli(inv, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(inv.command, inv.args, { cwd: opts.cwd, env: opts.env || process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    /** @type {NodeJS.Timeout | undefined} */
    let escalate;
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      if (opts.onStderr) opts.onStderr(d);
    });
    child.on('error', (err) => {
      if (escalate) clearTimeout(escalate);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (escalate) clearTimeout(escalate);
      resolve({ code, signal, stdout, stderr });
    });
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
