// @ts-check
// The CLI's JSON (its contract) turned into what the editor shows: one result per command.
// Pure: takes the process outcome, returns plain objects; extension.js only displays them.
'use strict';

const path = require('node:path');
const { EXIT, parseJsonObject, failureText } = require('./cli');

/**
 * @typedef {import('./cli').Outcome} Outcome
 * @typedef {{kind: 'fixed', message: string, files: string[], diff: string}
 *   | {kind: 'passing' | 'unfixed' | 'cancelled', message: string}
 *   | {kind: 'usage' | 'error', message: string}} FixResult
 */

/**
 * `codeloop fix --json`: exit 0 fixed/passing, 1 not fixed (or refused), 2 usage, 130 interrupted.
 * @param {Outcome} out
 * @returns {FixResult}
 */
function fixResult(out) {
  if (out.code === EXIT.interrupted || out.signal === 'SIGINT') {
    return { kind: 'cancelled', message: 'codeloop fix was cancelled; your working tree is unchanged.' };
  }
  const json = parseJsonObject(out.stdout);
  if (out.code === EXIT.usage) return { kind: 'usage', message: (json && json.message) || failureText(out) };
  if (!json || json.status === 'error') return { kind: 'error', message: (json && json.message) || failureText(out) };
  if (json.status === 'passing') return { kind: 'passing', message: 'codeloop: the tests already pass; nothing to fix.' };
  if (json.status === 'fixed' && json.applied === true) {
    /** @type {string[]} */
    const files = Array.isArray(json.files) ? json.files.map(String) : [];
    const how = json.winner ? `: ${json.winner}` : '';
    const tier = json.stage ? ` (${json.stage} tier, ${seconds(json.seconds)})` : '';
    return { kind: 'fixed', files, diff: String(json.diff || ''), message: `codeloop fixed ${files.join(', ') || 'your code'}${how}${tier}. The tests pass now.` };
  }
  const why = json.message ? `: ${json.message}` : '';
  return { kind: 'unfixed', message: `codeloop found no verified fix${why}. Nothing was changed.` };
}

/** @param {unknown} s */
function seconds(s) {
  const n = Number(s);
  return Number.isFinite(n) ? `${n.toFixed(1)} s` : '';
}

/**
 * `codeloop undo` prints no JSON: "restored: a.py, b.py" on stderr (exit 0), or a refusal (1/2).
 * @param {Outcome} out
 * @returns {{ok: boolean, message: string}}
 */
function undoResult(out) {
  const line = failureText(out);
  if (out.code === EXIT.ok) return { ok: true, message: `codeloop undo: ${line}` };
  return { ok: false, message: line };
}

/**
 * @typedef {object} DiagnosticSpec  one review finding, ready for a vscode.Diagnostic
 * @property {string} file  absolute path
 * @property {number} startLine  0-based
 * @property {number} endLine  0-based, inclusive
 * @property {'error' | 'warning'} severity  blocking findings are errors
 * @property {string} message
 * @property {string} source  e.g. "codeloop (tests)"
 * @property {string} code  the finding's rule
 */

/**
 * `codeloop review --format json`: exit 0 (nothing blocking) and 1 (blocking findings) both print
 * {"status": "ok", "findings": [...]}; paths are relative to the git work tree's top.
 * @param {Outcome} out
 * @param {string} top  the work tree's top folder
 * @returns {{ok: true, diagnostics: DiagnosticSpec[], summary: string} | {ok: false, message: string}}
 */
function reviewResult(out, top) {
  const json = parseJsonObject(out.stdout);
  if (!json || json.status !== 'ok' || !Array.isArray(json.findings)) {
    return { ok: false, message: (json && json.message) || failureText(out) };
  }
  const diagnostics = json.findings.map((/** @type {Record<string, any>} */ f) => {
    const start = Math.max(0, Number(f.start_line) - 1 || 0);
    const end = Math.max(start, Number(f.end_line) - 1 || start);
    /** @type {DiagnosticSpec} */
    const spec = {
      file: path.resolve(top, String(f.path)),
      startLine: start,
      endLine: end,
      severity: f.blocking ? 'error' : 'warning',
      message: f.suggestion ? `${f.message}\nSuggestion: ${f.suggestion}` : String(f.message),
      source: f.source ? `codeloop (${f.source})` : 'codeloop',
      code: String(f.rule || ''),
    };
    return spec;
  });
  const blocking = diagnostics.filter((d) => d.severity === 'error').length;
  const files = Array.isArray(json.files) ? json.files.length : 0;
  const summary = diagnostics.length
    ? `codeloop review: ${diagnostics.length} finding(s), ${blocking} blocking, in ${files} staged file(s).`
    : `codeloop review: no findings in ${files} staged file(s).`;
  return { ok: true, diagnostics, summary };
}

/**
 * `codeloop refactor extract-method --json`: exit 0 {"status": "extracted", ...}; exit 1 refusal.
 * @param {Outcome} out
 * @returns {{ok: true, message: string, diff: string} | {ok: false, message: string}}
 */
function extractResult(out) {
  const json = parseJsonObject(out.stdout);
  if (out.code === EXIT.ok && json && json.status === 'extracted') {
    const params = Array.isArray(json.params) ? json.params.join(', ') : '';
    const lines = Array.isArray(json.lines) ? ` lines ${json.lines[0]}-${json.lines[1]} of ${json.function}` : '';
    return { ok: true, diff: String(json.diff || ''), message: `codeloop extracted${lines} into ${json.name}(${params}).` };
  }
  return { ok: false, message: (json && json.message) || failureText(out) };
}

/**
 * `codeloop map --json` as a readable text: files by rank, then their signatures with lines.
 * @param {Outcome} out
 * @returns {{ok: true, text: string} | {ok: false, message: string}}
 */
function mapResult(out) {
  const json = parseJsonObject(out.stdout);
  if (!json || json.status !== 'ok' || !Array.isArray(json.files)) {
    return { ok: false, message: (json && json.message) || failureText(out) };
  }
  const focus = json.focus && Array.isArray(json.focus.files) ? json.focus.files : [];
  const head = [`# codeloop map of ${json.root}`, `# focus: ${focus.join(', ') || '(none)'}; ${json.tokens}/${json.budget} tokens`, ''];
  const body = json.files.flatMap((/** @type {Record<string, any>} */ file) => [
    `${file.path}:`,
    ...(file.definitions || []).map((/** @type {Record<string, any>} */ d) => `  ${String(d.line).padStart(5)}  ${d.signature}`),
  ]);
  return { ok: true, text: [...head, ...body, ''].join('\n') };
}

/** A --focus the CLI rejected (not a source file of the repo): worth one retry without it. */
function focusRejected(/** @type {Outcome} */ out) {
  return out.code === EXIT.usage && /--focus/.test(out.stderr);
}

module.exports = { fixResult, undoResult, reviewResult, extractResult, mapResult, focusRejected };
