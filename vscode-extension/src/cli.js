// @ts-check
// The extension's pure half: argv for each codeloop command, and the CLI's JSON turned into
// plain results (messages, diagnostic specs, map text). No `vscode`, no processes, no disk:
// everything here is tested with `node --test` and against the real CLI's output.
'use strict';

/**
 * @typedef {object} Settings  the `codeloop.*` configuration, already read
 * @property {string} executable  the CLI ("codeloop", or a path such as .venv/bin/codeloop)
 * @property {number} timeBudget  seconds for `fix` (0: the CLI's default)
 * @property {boolean} noModel  cheap tier / deterministic checks only
 * @property {string} testCommand  overrides the project's test command ("" = the project's)
 *
 * @typedef {{command: string, args: string[]}} Invocation
 * @typedef {{code: number | null, signal: string | null, stdout: string, stderr: string}} Outcome
 */

/** @type {Settings} */
const DEFAULT_SETTINGS = { executable: 'codeloop', timeBudget: 0, noModel: false, testCommand: '' };

/** Exit statuses shared by every codeloop command (its CLI contract). */
const EXIT = { ok: 0, refused: 1, usage: 2, interrupted: 130 };

/**
 * Settings as VS Code hands them over (any JSON), made safe to build argv from.
 * @param {Record<string, unknown>} raw
 * @returns {Settings}
 */
function normalizeSettings(raw) {
  const executable = typeof raw.executable === 'string' && raw.executable.trim() ? raw.executable.trim() : DEFAULT_SETTINGS.executable;
  const budget = Number(raw.timeBudget);
  return {
    executable,
    timeBudget: Number.isFinite(budget) && budget > 0 ? budget : 0,
    noModel: raw.noModel === true,
    testCommand: typeof raw.testCommand === 'string' ? raw.testCommand.trim() : '',
  };
}

/** @param {Settings} s */
function testCommandArgs(s) {
  return s.testCommand ? ['--test-cmd', s.testCommand] : [];
}

/**
 * @param {Settings} s
 * @param {string} folder  the workspace folder to repair
 * @returns {Invocation}
 */
function fixInvocation(s, folder) {
  const args = ['fix', '--json'];
  if (s.timeBudget > 0) args.push('--time-budget', String(s.timeBudget));
  if (s.noModel) args.push('--no-model');
  args.push(...testCommandArgs(s), folder);
  return { command: s.executable, args };
}

/** @param {Settings} s @param {string} folder @returns {Invocation} */
function undoInvocation(s, folder) {
  return { command: s.executable, args: ['undo', folder] };
}

/** Runs in the folder (review reads the staged index of the repo around its cwd). @param {Settings} s */
function reviewInvocation(s) {
  const args = ['review', '--staged', '--format', 'json'];
  if (s.noModel) args.push('--no-model');
  args.push(...testCommandArgs(s));
  return { command: s.executable, args };
}

/**
 * @param {Settings} s
 * @param {string} file  absolute path of the saved file
 * @param {{start: number, end: number}} lines  1-based, inclusive
 * @returns {Invocation}
 */
function extractInvocation(s, file, lines) {
  const args = ['refactor', 'extract-method', file, '--lines', `${lines.start}-${lines.end}`, '--json'];
  if (s.noModel) args.push('--no-model');
  args.push(...testCommandArgs(s));
  return { command: s.executable, args };
}

/**
 * @param {Settings} s
 * @param {string} folder
 * @param {string | undefined} focus  a path relative to the folder (the active file), if any
 * @returns {Invocation}
 */
function mapInvocation(s, folder, focus) {
  const args = ['map', '--json'];
  if (focus) args.push('--focus', focus);
  args.push(folder);
  return { command: s.executable, args };
}

/**
 * The 1-based inclusive lines an editor selection covers. A selection ending at column 0 of a
 * later line (what a triple-click or shift+down leaves) does not include that line.
 * @param {{startLine: number, endLine: number, endCharacter: number}} sel  0-based, as VS Code's
 * @returns {{start: number, end: number}}
 */
function selectionLines(sel) {
  const end = sel.endLine > sel.startLine && sel.endCharacter === 0 ? sel.endLine - 1 : sel.endLine;
  return { start: sel.startLine + 1, end: end + 1 };
}

/** The CLI's last stderr line (its contract puts the one actionable line last), without "codeloop: ". */
function lastStderrLine(/** @type {string} */ stderr) {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const last = lines.length ? lines[lines.length - 1] : '';
  return last.replace(/^codeloop:\s*/, '');
}

/**
 * Exactly one JSON object on stdout (the `--json` contract); null when it is missing or broken.
 * @param {string} stdout
 * @returns {Record<string, any> | null}
 */
function parseJsonObject(stdout) {
  const text = stdout.trim();
  if (!text) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * What the CLI said when there is no usable JSON, as one line for an error message.
 * @param {Outcome} out
 */
function failureText(out) {
  return lastStderrLine(out.stderr) || `codeloop exited with ${out.code ?? out.signal} and printed no result`;
}

module.exports = {
  DEFAULT_SETTINGS,
  EXIT,
  normalizeSettings,
  fixInvocation,
  undoInvocation,
  reviewInvocation,
  extractInvocation,
  mapInvocation,
  selectionLines,
  lastStderrLine,
  parseJsonObject,
  failureText,
};
