// @ts-check
// The CLI's event stream (`--events jsonl`, protocol v1, docs/events.md): one JSON object per
// stderr line. Split into lines, parsed, folded into a progress state, described in words.
// Pure: no `vscode`, no processes; the notification and the output channel only show strings.
'use strict';

/** The protocol version this extension reads; lines of another version are left alone. */
const PROTOCOL = 1;

/**
 * @typedef {{v: number, command: string, event: string, t: number, [field: string]: any}} CliEvent
 */

/**
 * One stderr line as an event, or null (a plain line: the parser's usage text, a last
 * `codeloop: ...` line after exit 2). Plain lines are shown to people, never interpreted.
 * @param {string} line
 * @returns {CliEvent | null}
 */
function parseEventLine(line) {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value = JSON.parse(text);
    const ok = value && typeof value === 'object' && value.v === PROTOCOL && typeof value.event === 'string';
    return ok ? value : null;
  } catch {
    return null;
  }
}

/** Chunks of stderr in, whole lines out (a line may arrive in pieces). */
class LineSplitter {
  constructor() {
    this.rest = '';
  }

  /** @param {string} chunk @returns {string[]} the lines completed by this chunk */
  push(chunk) {
    const parts = (this.rest + chunk).split(/\r?\n/);
    this.rest = parts.pop() || '';
    return parts;
  }

  /** @returns {string[]} what was left without a final newline */
  end() {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}

/**
 * @typedef {object} Progress  what the notification shows; folded from the events in order
 * @property {string} command
 * @property {string} stage  the stage in progress ("" before the first)
 * @property {string} detail
 * @property {number} round  the model round (0: none yet)
 * @property {number} tried  candidates judged in the current stage/round
 * @property {number} total  candidates planned in the current stage (0: unknown)
 * @property {number} passed  candidates that passed in the current stage/round
 * @property {number} passedOverall
 * @property {number} tokens  completion tokens so far
 * @property {number} tokensPerSecond  of the latest model answer (0: none yet)
 * @property {string[]} failing  the failing tests of the first run
 * @property {string} note  the latest Note
 * @property {string} question  a pending question's text ("" when none)
 */

/** @returns {Progress} */
function initialProgress(command = '') {
  return { command, stage: '', detail: '', round: 0, tried: 0, total: 0, passed: 0, passedOverall: 0, tokens: 0, tokensPerSecond: 0, failing: [], note: '', question: '' };
}

/**
 * The progress after one more event. Unknown events and fields change nothing (the
 * protocol only ever adds them within a version).
 * @param {Progress} p
 * @param {CliEvent} e
 * @returns {Progress}
 */
function advance(p, e) {
  const num = (/** @type {unknown} */ x) => (Number.isFinite(Number(x)) ? Number(x) : 0);
  switch (e.event) {
    case 'StageStarted':
      return { ...p, command: e.command || p.command, stage: String(e.stage || ''), detail: String(e.detail || ''), tried: 0, total: 0, passed: 0, question: '' };
    case 'TestsRan':
      return e.purpose === 'baseline' || (!p.failing.length && !e.passed) ? { ...p, failing: Array.isArray(e.failed) ? e.failed.map(String) : [] } : p;
    case 'RoundStarted':
      return { ...p, stage: String(e.stage || p.stage), round: num(e.round), tried: 0, total: 0, passed: 0 };
    case 'CandidatesSampled':
      return { ...p, round: num(e.round) || p.round, total: p.total + num(e.count), tokens: p.tokens + num(e.completion_tokens), tokensPerSecond: num(e.tokens_per_second) || p.tokensPerSecond };
    case 'CandidateChecked': {
      const passed = e.outcome === 'passed' ? 1 : 0;
      return { ...p, tried: p.tried + 1, passed: p.passed + passed, passedOverall: p.passedOverall + passed };
    }
    case 'TierProgress':
      // The cheap tier's own count is the truth (it also counts edits it skipped).
      return { ...p, stage: String(e.stage || p.stage), tried: num(e.tried), total: num(e.total), passed: num(e.passed) };
    case 'RoundFinished':
      return { ...p, round: num(e.round) || p.round, tried: num(e.tried), passed: num(e.passed) };
    case 'Note':
      return { ...p, note: String(e.message || '') };
    case 'Question':
      return { ...p, question: String(e.question || '') };
    default:
      return p;
  }
}

/** Words for a stage, per command (the protocol's stage names, docs/events.md). */
const STAGE_WORDS = {
  tests: 'running the tests',
  localize: 'localizing the failure',
  cheap: 'trying one-token edits',
  model: 'asking the model',
  compare: 'comparing the passing patches on probe inputs',
  'final-check': 'checking the winner once more in a fresh copy',
  code: 'writing code',
  plan: 'planning',
  verify: 'walking the plan on an example',
  debug: 'explaining and fixing a failure',
  checks: 'checking names and callers',
};

/**
 * One line for the progress notification: where the command is, and its counts.
 * @param {Progress} p
 * @returns {string}
 */
function describe(p) {
  if (p.question) return `waiting for your answer: ${p.question}`;
  if (!p.stage) return p.note || 'starting';
  // fix's model tier is `model`, or `model:<label>` for each model of a --model list.
  const model = p.stage === 'model' || p.stage.startsWith('model:');
  const label = p.stage.startsWith('model:') ? ` ${p.stage.slice('model:'.length)}` : '';
  const words = /** @type {Record<string, string>} */ (STAGE_WORDS)[model ? 'model' : p.stage] || p.stage;
  const parts = [model && p.round > 0 ? `model${label} round ${p.round}` : model && label ? `${words}${label}` : words];
  if (p.tried || p.total) parts.push(`${p.tried}${p.total ? `/${p.total}` : ''} tried, ${p.passed} passed`);
  if (p.tokensPerSecond && (model || p.command === 'generate')) parts.push(`${p.tokensPerSecond.toFixed(1)} tok/s`);
  if (p.stage === 'tests' && p.detail) parts.push(p.detail);
  return parts.join(' · ');
}

/** A multi-line detail (an assertion message) on one line. @param {unknown} text */
function oneLine(text) {
  return String(text).trim().replace(/\s*\n\s*/g, ' | ');
}

/**
 * One event as a line for the output channel (people read it; nothing parses it back).
 * @param {CliEvent} e
 * @returns {string}
 */
function formatEvent(e) {
  const t = `[${Number(e.t || 0).toFixed(1).padStart(6)}s]`;
  const seconds = (/** @type {unknown} */ s) => `${Number(s || 0).toFixed(1)} s`;
  switch (e.event) {
    case 'StageStarted':
      return `${t} ${e.stage}${e.detail ? `: ${e.detail}` : ''}`;
    case 'TestsRan': {
      const failed = Array.isArray(e.failed) ? e.failed : [];
      return `${t} tests (${e.purpose}): ${e.passed ? 'pass' : `${failed.length} failing${failed.length ? ` (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', ...' : ''})` : ''}`} in ${seconds(e.seconds)}`;
    }
    case 'Localized':
      return `${t} suspects: ${(e.suspects || []).slice(0, 5).join(', ') || '(none)'}`;
    case 'RoundStarted':
      return `${t} round ${e.round} (${e.stage})`;
    case 'CandidatesSampled':
      return `${t} round ${e.round}: ${e.count} candidate(s), ${e.completion_tokens} tokens in ${seconds(e.seconds)} (${Number(e.tokens_per_second || 0).toFixed(1)} tok/s)`;
    case 'CandidateChecked':
      return `${t} candidate ${e.round}.${e.candidate} (${e.stage}): ${e.outcome}${e.detail ? ` - ${oneLine(e.detail)}` : ''}`;
    case 'TierProgress':
      return `${t} ${e.stage}: ${e.tried}/${e.total} tried, ${e.passed} passed`;
    case 'RoundFinished':
      return `${t} round ${e.round} done: ${e.tried} tried, ${e.passed} passed`;
    case 'PatchesCompared':
      return `${t} compared ${e.patches} plausible patch(es): ${e.behaviours} behaviour(s) on ${e.inputs} input(s); chose ${e.chosen} (confidence ${Number(e.confidence || 0).toFixed(2)})`;
    case 'Note':
      return `${t} note: ${e.message}`;
    case 'ModelFailed':
      return `${t} model failed: ${e.message}${e.fallback ? ` (${e.fallback})` : ''}`;
    case 'Question':
      return `${t} question ${e.id}: ${e.question}`;
    case 'result':
      return `${t} result: ${e.status}${e.message ? ` - ${e.message}` : ''}`;
    default:
      return `${t} ${e.event}`;
  }
}

/**
 * @typedef {{id: string, label: string, detail: string}} Option
 * @typedef {{id: unknown, question: string, options: Option[], defaultId: string, freeText: boolean}} Question
 */

/**
 * A `Question` event as what a quick pick needs; null when it is not one.
 * @param {CliEvent} e
 * @returns {Question | null}
 */
function questionOf(e) {
  if (e.event !== 'Question' || !Array.isArray(e.options)) return null;
  const options = e.options
    .filter((/** @type {any} */ o) => o && typeof o === 'object' && o.id !== undefined)
    .map((/** @type {any} */ o) => ({ id: String(o.id), label: String(o.label ?? o.id), detail: String(o.detail || '') }));
  const defaultId = e.default === undefined || e.default === null ? '' : String(e.default);
  return { id: e.id, question: String(e.question || ''), options, defaultId, freeText: e.free_text === true };
}

/**
 * The one stdin line that answers a question: an option's id, or (free text) the value.
 * @param {Question} q
 * @param {string} answer
 */
function answerLine(q, answer) {
  return JSON.stringify({ answer, question: q.id }) + '\n';
}

module.exports = { PROTOCOL, parseEventLine, LineSplitter, initialProgress, advance, describe, formatEvent, questionOf, answerLine };
