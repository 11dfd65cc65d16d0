// @ts-check
// Re-review on save, debounced per file: saves in quick succession start one run, after the
// last; a save while a run is going cancels it (its findings would describe an old file) and
// starts again. Pure: the timers are injected, so node --test drives it with mock timers.
'use strict';

/**
 * @typedef {object} Token  handed to each run: whether it was superseded, and a hook for that
 * @property {boolean} cancelled
 * @property {(cb: () => void) => void} onCancel
 */

/** @returns {Token & {cancel: () => void}} */
function makeToken() {
  /** @type {(() => void)[]} */
  const hooks = [];
  const token = {
    cancelled: false,
    onCancel: (/** @type {() => void} */ cb) => { if (token.cancelled) cb(); else hooks.push(cb); },
    cancel: () => {
      if (token.cancelled) return;
      token.cancelled = true;
      for (const cb of hooks.splice(0)) cb();
    },
  };
  return token;
}

class Debouncer {
  /**
   * @param {number} delayMs  quiet time after the last trigger before a run starts
   * @param {(key: string, token: Token) => Promise<unknown>} run
   * @param {{setTimeout: (cb: () => void, ms: number) => any, clearTimeout: (handle: any) => void}} [timers]
   */
  constructor(delayMs, run, timers = { setTimeout, clearTimeout }) {
    this.delayMs = delayMs;
    this.run = run;
    this.timers = timers;
    /** @type {Map<string, any>} */
    this.waiting = new Map();
    /** @type {Map<string, Token & {cancel: () => void}>} */
    this.running = new Map();
  }

  /** Schedule a run for `key`, superseding a scheduled or running one. @param {string} key */
  trigger(key) {
    const pending = this.waiting.get(key);
    if (pending !== undefined) this.timers.clearTimeout(pending);
    const current = this.running.get(key);
    if (current) current.cancel();
    this.waiting.set(key, this.timers.setTimeout(() => this.start(key), this.delayMs));
  }

  /** @param {string} key */
  start(key) {
    this.waiting.delete(key);
    const token = makeToken();
    this.running.set(key, token);
    const done = () => { if (this.running.get(key) === token) this.running.delete(key); };
    this.run(key, token).then(done, done);
  }

  /** Whether a run for `key` is scheduled or going. @param {string} key */
  busy(key) {
    return this.waiting.has(key) || this.running.has(key);
  }

  /** Drop everything scheduled and cancel what runs (the extension is going away). */
  dispose() {
    for (const handle of this.waiting.values()) this.timers.clearTimeout(handle);
    this.waiting.clear();
    for (const token of this.running.values()) token.cancel();
    this.running.clear();
  }
}

module.exports = { Debouncer, makeToken };
