// Drives code-server in Debian's chromium, all from the command palette: "codeloop: Fix failing
// tests" (success notification, then its "Show diff"), "codeloop: Review staged changes" (the
// finding in the Problems panel), "codeloop: Extract method" on lines 6-8 of calc.py (the
// editor reloads the new function), "codeloop: Show repo map" (focused on calc.py). A screenshot
// of each step goes to OUTDIR. Usage (from run.sh): NODE_PATH=<cache>/tools/node_modules node e2e.js URL OUTDIR
'use strict';
const { chromium } = require('playwright-core');

const [url, outDir] = process.argv.slice(2);
const path = require('node:path');
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

async function openPalette(page) {
  const input = page.locator('.quick-input-widget input').first();
  for (let i = 0; i < 5; i++) { // the workbench may steal focus while it settles: retry
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
  if (!title.startsWith('Notifications:')) await runCommand(page, 'Notifications: Clear All Notifications'); // a stale toast is no outcome
  const input = await openPalette(page);
  await input.fill('>' + title);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 15000 });
  await row.click();
  lap('command chosen: ' + title);
}

/** The toast saying `success`; fails at once on any other toast than the progress one. */
async function waitForOutcome(page, success, progress, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const toast of await page.locator('.notification-toast').all()) {
      const text = (await toast.innerText().catch(() => '')).replace(/\s+/g, ' ');
      if (text.includes(success)) return toast;
      if (text && !text.includes(progress)) throw new Error('unexpected notification: ' + text.slice(0, 300));
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no notification saying "${success}" within ${timeoutMs / 1000} s`);
}

async function waitForEditorText(page, text, what) {
  const editor = page.locator('.monaco-editor .view-lines', { hasText: text }).first();
  await editor.waitFor({ timeout: 30000 });
  lap(`${what} shows: ` + (await editor.innerText()).replace(/\s+/g, ' ').slice(0, 140));
}

async function shoot(page, name) {
  await page.waitForTimeout(500); // let toasts and editors finish sliding in
  await page.screenshot({ path: path.join(outDir, name) });
  lap('screenshot ' + name);
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
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await page.waitForSelector('.statusbar', { timeout: 60000 });
    lap('workbench loaded');
    await page.waitForTimeout(2000); // let the extension host start

    await runCommand(page, 'codeloop: Fix failing tests');
    const toast = await waitForOutcome(page, 'codeloop fixed calc.py', 'fixing failing tests', 120000);
    lap('NOTIFICATION: ' + (await toast.innerText()).replace(/\s+/g, ' ').slice(0, 160));
    await shoot(page, 'fix-notification.png');
    await toast.locator('.monaco-button', { hasText: 'Show diff' }).first().click();
    await waitForEditorText(page, 'return a + b', 'diff document');
    await shoot(page, 'fix-diff.png');

    await runCommand(page, 'codeloop: Review staged changes');
    await waitForOutcome(page, 'codeloop review: ', 'reviewing staged changes', 120000);
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'double' }).first();
    await problem.waitFor({ timeout: 30000 });
    lap('PROBLEMS: ' + (await page.locator('.markers-panel').first().innerText()).replace(/\s+/g, ' ').slice(0, 200));
    await shoot(page, 'review-problems.png');

    await page.keyboard.press('Control+Shift+M'); // close the panel again
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').first().fill('calc.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'calc.py' }).first().click();
    await waitForEditorText(page, 'def mul(a, b):', 'calc.py');
    await page.keyboard.press('Control+G');
    await page.keyboard.type('6');
    await page.keyboard.press('Enter');
    // Whole lines 6-8, as a user selects them: the selection ends at column 0 of line 9.
    for (let i = 0; i < 3; i++) await page.keyboard.press('Control+L');
    await runCommand(page, 'codeloop: Extract method');
    const extracted = await waitForOutcome(page, 'codeloop extracted lines 6-8 of mul into', 'extracting lines', 120000);
    lap('NOTIFICATION: ' + (await extracted.innerText()).replace(/\s+/g, ' ').slice(0, 160));
    await waitForEditorText(page, 'def compute_r(a, b):', 'calc.py, reloaded from disk,');
    await shoot(page, 'extract.png');

    await runCommand(page, 'codeloop: Show repo map');
    await waitForEditorText(page, '# focus: calc.py', 'map document');
    await shoot(page, 'map.png');
    await browser.close();
    process.exit(0);
  } catch (e) {
    console.error('E2E FAILED:', e.message);
    await page.screenshot({ path: path.join(outDir, 'failed.png') }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
})();
