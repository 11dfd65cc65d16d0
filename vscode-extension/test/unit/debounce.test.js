// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Debouncer } = require('../../src/debounce');

/** Timers the test moves by hand. */
function clock() {
  let now = 0;
  /** @type {{at: number, cb: () => void, id: number}[]} */
  let due = [];
  let ids = 0;
  return {
    setTimeout: (/** @type {() => void} */ cb, /** @type {number} */ ms) => { const id = ++ids; due.push({ at: now + ms, cb, id }); return id; },
    clearTimeout: (/** @type {number} */ id) => { due = due.filter((d) => d.id !== id); },
    /** @param {number} ms */
    tick(ms) {
      now += ms;
      const ready = due.filter((d) => d.at <= now);
      due = due.filter((d) => d.at > now);
      for (const d of ready) d.cb();
    },
  };
}

/** A run that stays open until the test ends it. */
function runs() {
  /** @type {{key: string, token: import('../../src/debounce').Token, cancelled: boolean, end: () => void}[]} */
  const started = [];
  const run = (/** @type {string} */ key, /** @type {import('../../src/debounce').Token} */ token) => new Promise((resolve) => {
    const entry = { key, token, cancelled: false, end: () => resolve(undefined) };
    token.onCancel(() => { entry.cancelled = true; });
    started.push(entry);
  });
  return { started, run };
}

test('saves in quick succession start one run, after the last one', () => {
  const c = clock();
  const { started, run } = runs();
  const d = new Debouncer(1000, run, c);
  d.trigger('/a.py');
  c.tick(600);
  d.trigger('/a.py');
  c.tick(600);
  assert.equal(started.length, 0, 'the second save restarted the wait');
  c.tick(400);
  assert.deepEqual(started.map((s) => s.key), ['/a.py']);
  assert.ok(d.busy('/a.py'));
});

test('a save while a run is going cancels it and starts again; other files are independent', async () => {
  const c = clock();
  const { started, run } = runs();
  const d = new Debouncer(1000, run, c);
  d.trigger('/a.py');
  d.trigger('/b.py');
  c.tick(1000);
  assert.equal(started.length, 2);
  d.trigger('/a.py');
  assert.equal(started[0].cancelled, true);
  assert.equal(started[0].token.cancelled, true);
  assert.equal(started[1].cancelled, false);
  c.tick(1000);
  assert.deepEqual(started.map((s) => s.key), ['/a.py', '/b.py', '/a.py']);
  for (const s of started) s.end();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(d.busy('/a.py') || d.busy('/b.py'), false);
});

test('dispose drops what waits and cancels what runs', () => {
  const c = clock();
  const { started, run } = runs();
  const d = new Debouncer(1000, run, c);
  d.trigger('/a.py');
  c.tick(1000);
  d.trigger('/b.py');
  d.dispose();
  c.tick(5000);
  assert.deepEqual(started.map((s) => [s.key, s.cancelled]), [['/a.py', true]]);
});
