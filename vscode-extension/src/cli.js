// @ts-check
// The extension's pure half: settings, and the argv of each codeloop command. No `vscode`,
// no processes, no disk: everything here is tested with `node --test`.
// Every command that changes files runs as a preview (`--dry-run --json`): nothing is
// written until the user says Apply, and then `codeloop apply` writes exactly that patch.
'use strict';

/**
 * @typedef {object} Settings  the `codeloop.*` configuration, already read
 * @property {string} executable  the CLI ("codeloop", or a path such as .venv/bin/codeloop)
 * @property {string} model  `--model` (a catalog name or a GGUF path; "" = the project's default)
 * @property {number} timeBudget  seconds for fix and generate (0: the CLI's defaults)
 * @property {boolean} noModel  cheap tier / deterministic checks only
 * @property {string} testCommand  overrides the project's test command ("" = the project's)
 *
 * @typedef {{command: string, args: string[]}} Invocation
 * @typedef {import('./events').CliEvent} CliEvent
 * @typedef {{code: number | null, signal: string | null, stdout: string, stderr: string, events?: CliEvent[]}} Outcome
 */

/** @type {Settings} */
const DEFAULT_SETTINGS = { executable: 'codeloop', model: '', timeBudget: 0, noModel: false, testCommand: '' };

/** Exit statuses shared by every codeloop command (its CLI contract). */
const EXIT = { ok: 0, refused: 1, usage: 2, interrupted: 130 };

/** Progress as events on stderr (docs/events.md): the extension never reads stderr's text. */
const EVENTS = ['--events', 'jsonl'];

/**
 * Settings as VS Code hands them over (any JSON), made safe to build argv from.
 * @param {Record<string, unknown>} raw
 * @returns {Settings}
 */
function normalizeSettings(raw) {
  const text = (/** @type {unknown} */ v) => (typeof v === 'string' ? v.trim() : '');
  const budget = Number(raw.timeBudget);
  return {
    executable: text(raw.executable) || DEFAULT_SETTINGS.executable,
    model: text(raw.model),
    timeBudget: Number.isFinite(budget) && budget > 0 ? budget : 0,
    noModel: raw.noModel === true,
    testCommand: text(raw.testCommand),
  };
}

/** @param {Settings} s */
function testCommandArgs(s) {
  return s.testCommand ? ['--test-cmd', s.testCommand] : [];
}

/** `--no-model`, or the chosen `--model`, for commands where the model is optional. @param {Settings} s */
function modelArgs(s) {
  if (s.noModel) return ['--no-model'];
  return s.model ? ['--model', s.model] : [];
}

/** @param {Settings} s */
function budgetArgs(s) {
  return s.timeBudget > 0 ? ['--time-budget', String(s.timeBudget)] : [];
}

/**
 * Fix the failing tests of `folder`, as a preview.
 * @param {Settings} s
 * @param {string} folder
 * @returns {Invocation}
 */
function fixInvocation(s, folder) {
  return { command: s.executable, args: ['fix', '--dry-run', '--json', ...EVENTS, ...budgetArgs(s), ...modelArgs(s), ...testCommandArgs(s), folder] };
}

/**
 * Fill the body of the stub `name` in `file`, as a preview. Generation needs the model, so
 * `noModel` does not apply; its question (passing programs disagree) comes as an event.
 * @param {Settings} s
 * @param {string} file  absolute path
 * @param {string} name  a module-level function
 * @returns {Invocation}
 */
function generateInvocation(s, file, name) {
  const model = s.model ? ['--model', s.model] : [];
  return { command: s.executable, args: ['generate', `${file}::${name}`, '--dry-run', '--json', ...EVENTS, ...budgetArgs(s), ...model] };
}

/**
 * Extract lines into a new function, as a preview. Without a name the model proposes one
 * (or, with noModel, a deterministic one); with a name nothing is loaded.
 * @param {Settings} s
 * @param {string} file  absolute path of the saved file
 * @param {{start: number, end: number}} lines  1-based, inclusive
 * @param {string} [name]
 * @returns {Invocation}
 */
function extractInvocation(s, file, lines, name) {
  const args = ['refactor', 'extract-method', file, '--lines', `${lines.start}-${lines.end}`, '--dry-run', '--json', ...EVENTS];
  args.push(...(name ? ['--name', name] : modelArgs(s)), ...testCommandArgs(s));
  return { command: s.executable, args };
}

/**
 * Write exactly the previewed patch; the result JSON goes to stdin (`-`).
 * @param {Settings} s
 * @returns {Invocation}
 */
function applyInvocation(s) {
  return { command: s.executable, args: ['apply', '--json', '-'] };
}

/** @param {Settings} s @param {string} folder @returns {Invocation} */
function undoInvocation(s, folder) {
  return { command: s.executable, args: ['undo', '--json', folder] };
}

/**
 * Review, run in the folder (review reads the repo around its cwd): the staged changes, or
 * the saved working tree against HEAD for the given files (what the editor shows).
 * @param {Settings} s
 * @param {{staged: true} | {files: string[]}} what
 * @returns {Invocation}
 */
function reviewInvocation(s, what) {
  const mode = 'staged' in what ? ['--staged'] : ['--worktree'];
  const files = 'files' in what ? what.files : [];
  return { command: s.executable, args: ['review', ...mode, '--format', 'json', ...EVENTS, ...modelArgs(s), ...testCommandArgs(s), ...files] };
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

/** What `--model` defaults to in the folder it runs in. @param {Settings} s @returns {Invocation} */
function modelListInvocation(s) {
  return { command: s.executable, args: ['model', 'list', '--json'] };
}

/** Does the model load here, and how fast is it? @param {Settings} s @param {string} folder @returns {Invocation} */
function doctorInvocation(s, folder) {
  return { command: s.executable, args: ['doctor', '--json', ...(s.model ? ['--model', s.model] : []), folder] };
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

/** A name the user typed for the new function: an identifier, or why not. @param {string} name */
function nameProblem(name) {
  if (!name.trim()) return 'a name is needed';
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name.trim()) ? '' : 'letters, digits and _ only, not starting with a digit';
}

module.exports = {
  DEFAULT_SETTINGS,
  EXIT,
  normalizeSettings,
  fixInvocation,
  generateInvocation,
  extractInvocation,
  applyInvocation,
  undoInvocation,
  reviewInvocation,
  mapInvocation,
  modelListInvocation,
  doctorInvocation,
  selectionLines,
  nameProblem,
};
