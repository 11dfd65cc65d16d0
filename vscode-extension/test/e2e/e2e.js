// Drives code-server in Debian's chromium, all from the command palette, with the real CLI:
//   Fix failing tests     live progress, the diff editor with the verified patch, disk unchanged, Apply, disk fixed
//   Generate function body (cursor in the double() stub; the embedded model) preview, Apply, disk
//   Extract method        (lines 6-8) the proposed name, renamed to product, preview, Apply, disk
//   Review current file   (util.py) the finding in Problems, its quick fix, saved; a new slip, saved: reviewed again
// plus the status bar's model. One screenshot per command goes to OUTDIR (failed.png on failure).
// Usage (from run.sh): NODE_PATH=<cache>/tools/node_modules node e2e.js URL WORKSPACE OUTDIR
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const [url, ws, outDir] = process.argv.slice(2);
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();
const disk = (file) => fs.readFileSync(path.join(ws, file), 'utf8');
// This machine may be shared and slow: model runs get minutes, UI steps a minute.
const UI_MS = 60000;
const CLI_MS = Number(process.env.CODELOOP_E2E_CLI_TIMEOUT_MS || 420000);

function check(ok, message) {
  if (!ok) throw new Error(message);
}

async function openPalette(page) {
  const input = page.locator('.quick-input-widget input').first();
  for (let i = 0; i < 10; i++) { // the workbench may steal focus while it settles: retry
    if (i > 0) await page.keyboard.press('Escape'); // not at first: it would drop the editor's selection
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 3000 });
      await page.waitForTimeout(300);
      if (await input.isVisible()) return input;
    } catch (_) { /* try again */ }
  }
  throw new Error('the command palette did not open');
}

async function runCommand(page, title) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const input = await openPalette(page);
    await input.fill('>' + title);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 10000 });
      await row.click();
      lap('command: ' + title);
      return;
    } catch (_) { // the extension's commands are not registered yet: wait and retry
      await page.keyboard.press('Escape');
      await page.waitForTimeout(3000);
    }
  }
  throw new Error(`the command palette has no "${title}"`);
}

/** The toast containing `text`; an error toast fails at once. Logs the progress toast's changes. */
async function waitForToast(page, text, timeoutMs, progressSeen) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    for (const toast of await page.locator('.notification-toast').all()) {
      const said = oneLine(await toast.innerText().catch(() => ''));
      if (said.includes(text)) return toast;
      if (await toast.locator('.codicon-error').count().catch(() => 0)) throw new Error('error notification: ' + said.slice(0, 400));
      if (said.includes('codeloop: ') && said !== last) { // the progress notification, as it changes
        last = said;
        if (progressSeen) progressSeen.push(said);
        lap('progress: ' + said.slice(0, 160));
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no notification saying "${text}" within ${timeoutMs / 1000} s`);
}

async function clickButton(toast, label) {
  await toast.locator('.monaco-button', { hasText: label }).first().click();
  lap(`clicked ${label}`);
}

/** The diff editor's right side (what codeloop would write) shows `text`. */
async function waitForPreview(page, text) {
  const modified = page.locator('.monaco-diff-editor .editor.modified .view-lines', { hasText: text }).first();
  await modified.waitFor({ timeout: UI_MS });
  lap('preview shows: ' + oneLine(await modified.innerText()).slice(0, 140));
}

async function openFile(page, name) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ timeout: UI_MS });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().click();
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: UI_MS });
  await page.waitForTimeout(500);
}

async function goToLine(page, line) {
  await page.keyboard.press('Control+G');
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

async function shoot(page, name) {
  await page.waitForTimeout(700); // let toasts and editors finish sliding in
  await page.screenshot({ path: path.join(outDir, name) });
  lap('screenshot ' + name);
}

async function clearToasts(page) {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

async function fix(page) {
  const before = disk('calc.py');
  await runCommand(page, 'codeloop: Fix failing tests');
  const progress = [];
  const toast = await waitForToast(page, 'codeloop found a verified fix for calc.py', CLI_MS, progress);
  lap('NOTIFICATION: ' + oneLine(await toast.innerText()).slice(0, 200));
  check(progress.some((p) => /running the tests|one-token edits|localizing|fresh copy/.test(p)), 'no live progress from the events was shown: ' + JSON.stringify(progress));
  await waitForPreview(page, 'return a + b');
  check(disk('calc.py') === before, 'calc.py changed before Apply');
  await shoot(page, 'fix.png');
  await clickButton(toast, 'Apply');
  await waitForToast(page, 'codeloop applied the fix to calc.py', UI_MS);
  check(disk('calc.py').includes('    return a + b\n'), 'calc.py on disk is not fixed after Apply');
  lap('disk: calc.py fixed');
}

async function generate(page) {
  await clearToasts(page);
  await openFile(page, 'calc.py');
  await goToLine(page, 13); // inside double()'s docstring
  const before = disk('calc.py');
  await runCommand(page, 'codeloop: Generate function body');
  const toast = await waitForToast(page, 'codeloop wrote calc.py::double', CLI_MS, []);
  lap('NOTIFICATION: ' + oneLine(await toast.innerText()).slice(0, 200));
  await waitForPreview(page, 'return');
  check(disk('calc.py') === before, 'calc.py changed before Apply');
  await shoot(page, 'generate.png');
  await clickButton(toast, 'Apply');
  await waitForToast(page, 'codeloop applied the generated body to calc.py', UI_MS);
  const after = disk('calc.py');
  check(after !== before && /"""\n    \S/.test(after.slice(after.indexOf('def double'))), 'double() has no body on disk after Apply');
  lap('disk: double() has a body');
}

async function extract(page) {
  await clearToasts(page);
  await openFile(page, 'calc.py');
  await goToLine(page, 6);
  for (let i = 0; i < 3; i++) await page.keyboard.press('Control+L'); // whole lines 6-8
  await runCommand(page, 'codeloop: Extract method');
  const input = page.locator('.quick-input-widget input').first();
  await page.waitForFunction(() => {
    const box = document.querySelector('.quick-input-widget input');
    return box && box.value === '_compute_r'; // a new module-level helper is private unless named
  }, null, { timeout: CLI_MS });
  lap('name proposed: _compute_r');
  await input.fill('product');
  await page.keyboard.press('Enter');
  const toast = await waitForToast(page, 'codeloop extracts lines 6-8 of mul into product(a, b)', CLI_MS);
  await waitForPreview(page, 'def product(a, b):');
  await shoot(page, 'extract.png');
  await clickButton(toast, 'Apply');
  await waitForToast(page, 'codeloop applied the refactoring to calc.py', UI_MS);
  check(disk('calc.py').includes('def product(a, b):\n'), 'product() is not on disk after Apply');
  lap('disk: product() extracted');
}

async function review(page) {
  await clearToasts(page);
  await openFile(page, 'util.py');
  await runCommand(page, 'codeloop: Review current file');
  const toast = await waitForToast(page, 'codeloop review: ', CLI_MS);
  lap('NOTIFICATION: ' + oneLine(await toast.innerText()).slice(0, 200));
  await page.keyboard.press('Control+Shift+M');
  await waitForProblem(page, 'reslt');
  await goToLine(page, 5);
  await page.keyboard.press('End');
  // The finding's quick fix, chosen with the keyboard (the widget's pointer block eats clicks), saved.
  await page.keyboard.press('Control+.');
  const action = page.locator('.action-widget .monaco-list-row.action', { hasText: 'codeloop: replace with "return result"' }).first();
  await action.waitFor({ timeout: UI_MS });
  await shoot(page, 'review.png');
  const focused = page.locator('.action-widget .monaco-list-row.action.focused', { hasText: 'codeloop: replace with' });
  for (let i = 0; i < 5 && !(await focused.count()); i++) await page.keyboard.press('ArrowDown');
  check(await focused.count(), 'the quick fix is not in the action list');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('.action-widget .monaco-list-row.action'), null, { timeout: UI_MS });
  lap('quick fix applied');
  await page.keyboard.press('Control+S');
  await waitForDisk('util.py', (text) => text.includes('    return result\n'), 'util.py on disk does not have the quick fix');
  check(!(await page.locator('.markers-panel .monaco-list-row', { hasText: 'reslt' }).count()), 'the fixed finding is still in Problems');
  // A new slip, saved: the file is reviewed again on save, with no command run.
  await page.keyboard.press('End');
  await page.keyboard.type('x');
  await page.keyboard.press('Control+S');
  await waitForProblem(page, 'resultx');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Control+S');
  await waitForDisk('util.py', (text) => text.includes('    return result\n'), 'util.py on disk still has the slip after Backspace and save');
  lap('disk: util.py fixed; a new slip was reviewed on save');
}

/** Saving goes through the browser and the server: give the file a few seconds to land. */
async function waitForDisk(file, ok, message) {
  const deadline = Date.now() + UI_MS;
  while (!ok(disk(file))) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function waitForProblem(page, text) {
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: text }).first();
  await problem.waitFor({ timeout: CLI_MS });
  lap('PROBLEMS: ' + oneLine(await page.locator('.markers-panel').first().innerText()).slice(0, 240));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.monaco-workbench', { timeout: 120000 });
    lap('workbench loaded');
    // The extension is active once its status bar item names the model (codeloop model list --json).
    const status = page.locator('.statusbar-item', { hasText: 'codeloop: smollm2-135m' }).first();
    await status.waitFor({ timeout: 120000 });
    lap('status bar: ' + oneLine(await status.innerText()));
    await fix(page);
    await generate(page);
    await extract(page);
    await review(page);
    await browser.close();
    process.exit(0);
  } catch (e) {
    console.error('E2E FAILED:', e.message);
    await page.screenshot({ path: path.join(outDir, 'failed.png') }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
})();
