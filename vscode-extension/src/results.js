// @ts-check
// The CLI's JSON (its contract) turned into what the editor shows: one result per command.
// Pure: takes the process outcome, returns plain objects; the glue only displays them.
// Never reads stderr's text: what a run did comes from its JSON (stdout, or the `result`
// event), and a run without one is described by its exit status alone.
'use strict';

const path = require('node:path');
const { EXIT } = require('./cli');

/**
 * @typedef {import('./cli').Outcome} Outcome
 * @typedef {{path: string, file: string, after: string | null}} PreviewFile  `file` absolute
 * @typedef {{root: string, label: string, files: PreviewFile[], payload: Record<string, any>}} Patch
 *   `payload`: the whole result, what `codeloop apply -` reads back
 * @typedef {{kind: 'preview', message: string, patch: Patch, diff: string, name?: string, nameSource?: string}
 *   | {kind: 'applied', message: string, files: string[]}
 *   | {kind: 'passing' | 'unfixed' | 'cancelled', message: string}
 *   | {kind: 'usage' | 'error', message: string}} CommandResult
 */

/**
 * The run's one JSON object: stdout (`--json`), else its `result` event (same fields).
 * @param {Outcome} out
 * @returns {Record<string, any> | null}
 */
function payloadOf(out) {
  const text = out.stdout.trim();
  if (text) {
    try {
      const value = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      /* fall through to the event */
    }
  }
  const events = out.events || [];
  const result = events.filter((e) => e.event === 'result').pop();
  if (!result) return null;
  const { v, command, event, t, ...fields } = result;
  return fields;
}

/**
 * What to say about a run that printed no JSON: only its exit status is known (stderr's
 * text goes to the output channel, for people).
 * @param {Outcome} out
 */
function noResultText(out) {
  if (out.code === EXIT.usage) {
    return 'codeloop rejected its command line (exit 2); it may be older than this extension (the "codeloop" output channel shows what it said).';
  }
  return `codeloop exited with ${out.code ?? out.signal} without a result (the "codeloop" output channel shows what it said).`;
}

/** @param {Outcome} out */
function interrupted(out) {
  return out.code === EXIT.interrupted || out.signal === 'SIGINT';
}

/**
 * A result's `patch` (files with their text after the change), or null when it has none
 * or one this extension cannot read.
 * @param {Record<string, any>} json
 * @returns {Patch | null}
 */
function patchOf(json) {
  const p = json.patch;
  if (!p || typeof p !== 'object' || p.v !== 1 || typeof p.root !== 'string' || !Array.isArray(p.files) || !p.files.length) return null;
  const files = p.files.map((/** @type {Record<string, any>} */ f) => ({
    path: String(f.path),
    file: path.resolve(p.root, String(f.path)),
    after: typeof f.after === 'string' ? f.after : null,
  }));
  return { root: p.root, label: String(p.label || ''), files, payload: json };
}

/**
 * Failures every command shares: interrupted, no JSON, `status: error`.
 * @param {Outcome} out
 * @param {Record<string, any> | null} json
 * @param {string} what  e.g. "codeloop fix"
 * @returns {CommandResult | null}
 */
function commonFailure(out, json, what) {
  if (interrupted(out)) return { kind: 'cancelled', message: `${what} was cancelled; nothing was changed.` };
  if (!json) return { kind: out.code === EXIT.usage ? 'usage' : 'error', message: noResultText(out) };
  if (json.status === 'error') return { kind: out.code === EXIT.usage ? 'usage' : 'error', message: String(json.message || noResultText(out)) };
  return null;
}

/** @param {unknown} s */
function seconds(s) {
  const n = Number(s);
  return Number.isFinite(n) ? `${n.toFixed(1)} s` : '';
}

/**
 * `codeloop fix --json` (with --dry-run: a preview): exit 0 fixed/passing, 1 not fixed,
 * 2 usage, 130 interrupted.
 * @param {Outcome} out
 * @returns {CommandResult}
 */
function fixResult(out) {
  const json = payloadOf(out);
  const failed = commonFailure(out, json, 'codeloop fix');
  if (failed || !json) return failed || { kind: 'error', message: noResultText(out) };
  if (json.status === 'passing') return { kind: 'passing', message: 'codeloop: the tests already pass; nothing to fix.' };
  if (json.status === 'fixed') {
    /** @type {string[]} */
    const files = Array.isArray(json.files) ? json.files.map(String) : [];
    const how = json.winner ? `: ${json.winner}` : '';
    const tier = json.stage ? ` (${json.stage} tier, ${seconds(json.seconds)})` : '';
    const patch = patchOf(json);
    if (json.applied === true) return { kind: 'applied', files, message: `codeloop fixed ${files.join(', ') || 'your code'}${how}${tier}. The tests pass now.` };
    if (patch) return { kind: 'preview', patch, diff: String(json.diff || ''), message: `codeloop found a verified fix for ${files.join(', ')}${how}${tier}. Apply it?` };
  }
  const why = json.message ? `: ${json.message}` : '';
  return { kind: 'unfixed', message: `codeloop found no verified fix${why}. Nothing was changed.` };
}

/**
 * `codeloop generate FILE::NAME --dry-run --json`: exit 0 generated, 1 failed.
 * @param {Outcome} out
 * @returns {CommandResult}
 */
function generateResult(out) {
  const json = payloadOf(out);
  const failed = commonFailure(out, json, 'codeloop generate');
  if (failed || !json) return failed || { kind: 'error', message: noResultText(out) };
  const patch = patchOf(json);
  if (json.status === 'generated' && patch) {
    const amb = json.ambiguity && typeof json.ambiguity === 'object' ? json.ambiguity : null;
    const chose = amb ? ` Passing programs disagreed; chosen by ${amb.resolved === 'user' ? 'your answer' : 'the majority'}.` : '';
    const spent = `${json.programs ?? '?'} program(s) tested, ${json.completion_tokens ?? '?'} tokens, ${seconds(json.seconds)}`;
    return { kind: 'preview', patch, diff: String(json.diff || ''), message: `codeloop wrote ${json.target} and it passes the visible tests (${spent}).${chose} Apply it?` };
  }
  return { kind: 'unfixed', message: `codeloop generated nothing that passes the visible tests${json.message ? `: ${json.message}` : ''}. Nothing was changed.` };
}

/**
 * `codeloop refactor extract-method --dry-run --json`: exit 0 extracted, 1 refused (why).
 * @param {Outcome} out
 * @returns {CommandResult}
 */
function extractResult(out) {
  const json = payloadOf(out);
  const failed = commonFailure(out, json, 'codeloop extract-method');
  if (failed || !json) return failed || { kind: 'error', message: noResultText(out) };
  const patch = patchOf(json);
  if (json.status === 'extracted' && patch) {
    const params = Array.isArray(json.params) ? json.params.join(', ') : '';
    const lines = Array.isArray(json.lines) ? ` lines ${json.lines[0]}-${json.lines[1]} of ${json.function}` : '';
    // What the CLI checked in its copy (tests run only when the project configures them).
    const checked = json.verified && typeof json.verified === 'object'
      ? ` (checked: ${Object.entries(json.verified).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
    return {
      kind: 'preview', patch, diff: String(json.diff || ''), name: String(json.name), nameSource: String(json.name_source || ''),
      message: `codeloop extracts${lines} into ${json.name}(${params})${checked}. Apply it?`,
    };
  }
  return { kind: 'error', message: String(json.message || noResultText(out)) };
}

/**
 * `codeloop apply --json -`: exit 0 applied; 1 the files changed since the preview; 2 bad input.
 * @param {Outcome} out
 * @returns {{ok: true, files: string[], root: string} | {ok: false, message: string}}
 */
function applyResult(out) {
  const json = payloadOf(out);
  if (json && json.status === 'applied') return { ok: true, files: (json.files || []).map(String), root: String(json.root || '') };
  return { ok: false, message: (json && json.message) || noResultText(out) };
}

/**
 * `codeloop undo --json`: exit 0 {"status": "restored", "files": [...]}, else a refusal.
 * @param {Outcome} out
 * @returns {{ok: boolean, message: string}}
 */
function undoResult(out) {
  const json = payloadOf(out);
  if (json && json.status === 'restored') return { ok: true, message: `codeloop undo: restored ${(json.files || []).join(', ')}.` };
  return { ok: false, message: (json && json.message) || noResultText(out) };
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
 * @property {string} suggestion  replacement text for lines startLine..endLine ("" when none)
 */

/**
 * `codeloop review --format json`: exit 0 (nothing blocking) and 1 (blocking findings) both print
 * {"status": "ok", "findings": [...]}; paths are relative to the git work tree's top.
 * @param {Outcome} out
 * @param {string} top  the work tree's top folder
 * @returns {{ok: true, diagnostics: DiagnosticSpec[], files: string[], summary: string} | {ok: false, message: string, cancelled?: boolean}}
 */
function reviewResult(out, top) {
  if (interrupted(out)) return { ok: false, cancelled: true, message: 'codeloop review was cancelled.' };
  const json = payloadOf(out);
  if (!json || json.status !== 'ok' || !Array.isArray(json.findings)) {
    return { ok: false, message: (json && json.message) || noResultText(out) };
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
      message: String(f.message),
      source: f.source ? `codeloop (${f.source})` : 'codeloop',
      code: String(f.rule || ''),
      suggestion: typeof f.suggestion === 'string' ? f.suggestion : '',
    };
    return spec;
  });
  /** @type {string[]} */
  const files = Array.isArray(json.files) ? json.files.map((/** @type {unknown} */ f) => path.resolve(top, String(f))) : [];
  const blocking = diagnostics.filter((d) => d.severity === 'error').length;
  const summary = diagnostics.length
    ? `codeloop review: ${diagnostics.length} finding(s), ${blocking} blocking, in ${files.length} changed file(s).`
    : `codeloop review: no findings in ${files.length} changed file(s).`;
  return { ok: true, diagnostics, files, summary };
}

/**
 * The edit a finding's suggestion makes: its lines replaced by the suggested text (the
 * suggestion is whole lines, without the last newline).
 * @param {DiagnosticSpec} spec
 * @returns {{startLine: number, endLine: number, text: string} | null}  replace from the start
 *   of startLine to the end of endLine (without its newline)
 */
function suggestionEdit(spec) {
  return spec.suggestion ? { startLine: spec.startLine, endLine: spec.endLine, text: spec.suggestion.replace(/\r?\n$/, '') } : null;
}

/**
 * `codeloop map --json` as a readable text: files by rank, then their signatures with lines.
 * @param {Outcome} out
 * @returns {{ok: true, text: string} | {ok: false, message: string}}
 */
function mapResult(out) {
  const json = payloadOf(out);
  if (!json || json.status !== 'ok' || !Array.isArray(json.files)) {
    return { ok: false, message: (json && json.message) || noResultText(out) };
  }
  const focus = json.focus && Array.isArray(json.focus.files) ? json.focus.files : [];
  const head = [`# codeloop map of ${json.root}`, `# focus: ${focus.join(', ') || '(none)'}; ${json.tokens}/${json.budget} tokens`, ''];
  const body = json.files.flatMap((/** @type {Record<string, any>} */ file) => [
    `${file.path}:`,
    ...(file.definitions || []).map((/** @type {Record<string, any>} */ d) => `  ${String(d.line).padStart(5)}  ${d.signature}`),
  ]);
  return { ok: true, text: [...head, ...body, ''].join('\n') };
}

/**
 * A map run with --focus (the active file) that the CLI refused as bad input, e.g. a file that
 * is not a source file of the repo: worth one retry without it. Only the exit status and the
 * JSON's status decide (its message is for people); a retry that fails again shows its reason.
 */
function focusRejected(/** @type {Outcome} */ out) {
  const json = payloadOf(out);
  return out.code === EXIT.usage && !!json && json.status === 'error';
}

/**
 * The status bar's model: the `codeloop.model` setting when set, else what
 * `codeloop model list --json` says the project's default is.
 * @param {Outcome | null} out  null: the setting names the model, nothing was asked
 * @param {string} setting
 * @returns {{text: string, tooltip: string, ok: boolean}}
 */
function modelStatus(out, setting) {
  if (setting) {
    const name = path.basename(setting);
    return { ok: true, text: `codeloop: ${name}`, tooltip: `Model: ${setting} (from the codeloop.model setting). Click to check it (codeloop doctor).` };
  }
  const json = out && payloadOf(out);
  const d = json && json.status === 'ok' && json.default && typeof json.default === 'object' ? json.default : null;
  if (!d) return { ok: false, text: 'codeloop: ?', tooltip: `The model could not be read: ${out ? noResultText(out) : 'no answer'}` };
  if (d.error) return { ok: false, text: `codeloop: ${d.name} (not usable)`, tooltip: `Model ${d.name} (from ${d.configured}): ${d.error}` };
  return { ok: true, text: `codeloop: ${d.name}`, tooltip: `Model: ${d.name} (from ${d.configured})\n${d.path}\nClick to check it (codeloop doctor).` };
}

/**
 * `codeloop doctor --json`: one line per model (loads, decode speed) and the problems.
 * @param {Outcome} out
 * @returns {{ok: boolean, lines: string[]}}
 */
function doctorSummary(out) {
  const json = payloadOf(out);
  if (!json || !Array.isArray(json.models)) return { ok: false, lines: [(json && json.message) || noResultText(out)] };
  const lines = json.models.map((/** @type {Record<string, any>} */ m) => {
    const name = path.basename(String(m.path || m.label));
    return m.loads
      ? `${m.label} model ${name}: loads; decode ${Number(m.decode_tokens_per_second || 0).toFixed(1)} tok/s, prompt ${Number(m.prompt_tokens_per_second || 0).toFixed(0)} tok/s`
      : `${m.label} model ${name}: does not work (${m.error})`;
  });
  const problems = Array.isArray(json.problems) ? json.problems.map(String) : [];
  return { ok: json.status === 'ok', lines: [...lines, ...problems.map((p) => `problem: ${p}`)] };
}

module.exports = {
  payloadOf, fixResult, generateResult, extractResult, applyResult, undoResult, reviewResult, suggestionEdit,
  mapResult, focusRejected, modelStatus, doctorSummary,
};
