// @ts-check
// The verified patch, shown before anything is written: one diff editor per file (the file on
// disk against the text codeloop would write), then Apply (`codeloop apply`, exactly that
// patch; refused if the files changed since) or Discard. After Apply: Undo (`codeloop undo`).
'use strict';

const path = require('node:path');
const vscode = require('vscode');
const cli = require('../cli');
const results = require('../results');
const { runWithProgress } = require('./common');

const SCHEME = 'codeloop-preview';
const CONTEXT_KEY = 'codeloop.previewPending';

/** @typedef {'apply' | 'discard'} Decision */

class Previews {
  /** @param {{output: vscode.OutputChannel}} deps */
  constructor(deps) {
    this.deps = deps;
    /** @type {Map<string, string>} */
    this.texts = new Map();
    this.changed = new vscode.EventEmitter();
    this.onDidChange = this.changed.event;
    this.count = 0;
    /** @type {((d: Decision) => void) | undefined} */
    this.decide = undefined;
  }

  /** @param {vscode.Uri} uri */
  provideTextDocumentContent(uri) {
    return this.texts.get(uri.toString()) || '';
  }

  /** The editor title's and the palette's Apply / Discard. @param {Decision} d */
  resolve(d) {
    if (this.decide) this.decide(d);
  }

  /**
   * Show the patch, wait for Apply or Discard, apply it if asked. Returns what happened.
   * @param {cli.Settings} s
   * @param {results.Patch} patch
   * @param {string} message  the question, e.g. "codeloop found a verified fix ... Apply it?"
   * @returns {Promise<'applied' | 'discarded' | 'failed'>}
   */
  async offer(s, patch, message) {
    this.resolve('discard'); // one pending preview at a time: a new one discards the old
    const n = ++this.count;
    const uris = [];
    for (const f of patch.files) {
      const right = vscode.Uri.from({ scheme: SCHEME, path: f.file, query: `preview=${n}` });
      this.texts.set(right.toString(), f.after ?? '');
      this.changed.fire(right);
      const left = vscode.Uri.file(f.file);
      uris.push(right);
      const title = `${path.basename(f.file)}: on disk ↔ codeloop ${patch.label || 'change'} (preview)`;
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false });
    }
    await vscode.commands.executeCommand('setContext', CONTEXT_KEY, true);
    /** @type {Decision} */
    const decision = await new Promise((done) => {
      this.decide = done;
      vscode.window.showInformationMessage(message, 'Apply', 'Discard').then((c) => done(c === 'Apply' ? 'apply' : 'discard'));
    });
    this.decide = undefined;
    await vscode.commands.executeCommand('setContext', CONTEXT_KEY, false);
    await closeTabs(uris);
    for (const u of uris) this.texts.delete(u.toString());
    if (decision === 'discard') {
      this.deps.output.appendLine('preview discarded; nothing was written');
      return 'discarded';
    }
    return this.apply(s, patch);
  }

  /** @param {cli.Settings} s @param {results.Patch} patch @returns {Promise<'applied' | 'failed'>} */
  async apply(s, patch) {
    const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && patch.files.some((f) => f.file === d.uri.fsPath));
    if (dirty.length) {
      vscode.window.showErrorMessage(`codeloop: ${dirty.map((d) => path.basename(d.fileName)).join(', ')} has unsaved edits; save or revert them, then run the command again. Nothing was written.`);
      return 'failed';
    }
    const out = await runWithProgress(this.deps, cli.applyInvocation(s), { cwd: patch.root, title: 'codeloop: applying', input: JSON.stringify(patch.payload) });
    if (!out) return 'failed';
    const r = results.applyResult(out);
    if (!r.ok) {
      vscode.window.showErrorMessage(`codeloop apply: ${r.message}`);
      return 'failed';
    }
    const what = patch.label === 'fix' ? 'the fix' : patch.label === 'generate' ? 'the generated body' : 'the refactoring';
    vscode.window.showInformationMessage(`codeloop applied ${what} to ${r.files.join(', ')}.`, 'Undo').then(async (choice) => {
      if (choice === 'Undo') await undo(this.deps, s, patch.root);
    });
    return 'applied';
  }
}

/** Close the preview's diff editors (whatever group they are in). @param {vscode.Uri[]} uris */
async function closeTabs(uris) {
  const wanted = new Set(uris.map((u) => u.toString()));
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && wanted.has(t.input.modified.toString()));
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}

/** `codeloop undo`: the last applied change, exactly. @param {{output: vscode.OutputChannel}} deps @param {cli.Settings} s @param {string} cwd */
async function undo(deps, s, cwd) {
  const out = await runWithProgress(deps, cli.undoInvocation(s, cwd), { cwd, title: 'codeloop: undo' });
  if (!out) return;
  const r = results.undoResult(out);
  if (r.ok) vscode.window.showInformationMessage(r.message);
  else vscode.window.showErrorMessage(`codeloop undo: ${r.message}`);
}

module.exports = { Previews, SCHEME, undo };
