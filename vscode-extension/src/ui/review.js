// @ts-check
// Review findings as diagnostics. A finding's lines go stale as soon as its file is edited, so
// an edit clears that file's findings, and a save reviews the saved file again (debounced;
// a newer save cancels a run still going). A finding that carries a suggestion (replacement
// lines) offers it as a quick fix.
'use strict';

const path = require('node:path');
const vscode = require('vscode');
const cli = require('../cli');
const results = require('../results');
const { Debouncer } = require('../debounce');
const { settings, pickFolder, runWithProgress, gitTop } = require('./common');

/** Quiet time after the last save before the file is reviewed again. */
const RESAVE_DELAY_MS = 1000;

class Reviews {
  /** @param {{output: vscode.OutputChannel}} deps */
  constructor(deps) {
    this.deps = deps;
    this.collection = vscode.languages.createDiagnosticCollection('codeloop');
    /** Files a review looked at (absolute path -> the folder it ran in): saved again, reviewed again. */
    /** @type {Map<string, vscode.WorkspaceFolder>} */
    this.reviewed = new Map();
    /** The findings' suggestions, by file, to find them again for a quick fix. */
    /** @type {Map<string, results.DiagnosticSpec[]>} */
    this.specs = new Map();
    this.debouncer = new Debouncer(RESAVE_DELAY_MS, (file, token) => this.again(file, token));
  }

  /** @returns {vscode.Disposable[]} */
  listen() {
    return [
      this.collection,
      { dispose: () => this.debouncer.dispose() },
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.collection.has(e.document.uri)) this.set(e.document.uri.fsPath, []);
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.uri.scheme === 'file' && this.reviewed.has(doc.uri.fsPath)) this.debouncer.trigger(doc.uri.fsPath);
      }),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    ];
  }

  /** Replace one file's findings. @param {string} file @param {results.DiagnosticSpec[]} specs */
  set(file, specs) {
    this.specs.set(file, specs);
    this.collection.set(vscode.Uri.file(file), specs.map(toDiagnostic));
  }

  /** "Review staged changes": every finding of the staged diff, the old ones cleared. */
  async staged() {
    const folder = await pickFolder();
    if (!folder) return;
    const cwd = folder.uri.fsPath;
    const top = await gitTop(cwd);
    if (!top) return;
    const out = await runWithProgress(this.deps, cli.reviewInvocation(settings(folder.uri), { staged: true }), { cwd, title: 'codeloop: reviewing staged changes' });
    if (!out) return;
    const r = results.reviewResult(out, top);
    if (!r.ok) {
      if (!r.cancelled) vscode.window.showErrorMessage(`codeloop review: ${r.message}`);
      return;
    }
    this.collection.clear();
    this.specs.clear();
    for (const [file, specs] of byFile(r.diagnostics, r.files)) {
      this.set(file, specs);
      this.reviewed.set(file, folder);
    }
    vscode.window.showInformationMessage(r.summary);
  }

  /** "Review current file": the saved file's changes against HEAD. */
  async current() {
    const editor = vscode.window.activeTextEditor;
    const doc = editor && editor.document;
    const folder = doc && vscode.workspace.getWorkspaceFolder(doc.uri);
    if (!doc || doc.uri.scheme !== 'file' || !folder) {
      vscode.window.showErrorMessage('codeloop: open a file of the workspace to review it.');
      return;
    }
    if (doc.isDirty && !(await doc.save())) return;
    const found = await this.review(doc.uri.fsPath, folder, { title: `codeloop: reviewing ${path.basename(doc.fileName)}` });
    if (found) vscode.window.showInformationMessage(found.summary);
  }

  /**
   * Review one file's saved changes and show its findings; undefined when it failed (said
   * already) or was cancelled.
   * @param {string} file @param {vscode.WorkspaceFolder} folder
   * @param {{title: string, where?: 'window', onCancel?: (cancel: () => void) => void, cancelled?: () => boolean}} ui
   */
  async review(file, folder, ui) {
    const cwd = folder.uri.fsPath;
    const top = await gitTop(cwd);
    if (!top) return undefined;
    const out = await runWithProgress(this.deps, cli.reviewInvocation(settings(folder.uri), { files: [file] }), { cwd, ...ui });
    if (!out || (ui.cancelled && ui.cancelled())) return undefined;
    const r = results.reviewResult(out, top);
    if (!r.ok) {
      if (!r.cancelled) (ui.where ? this.deps.output.appendLine(`codeloop review: ${r.message}`) : vscode.window.showErrorMessage(`codeloop review: ${r.message}`));
      return undefined;
    }
    this.set(file, r.diagnostics.filter((d) => d.file === file));
    this.reviewed.set(file, folder);
    return r;
  }

  /** The debounced re-review after a save. @param {string} file @param {import('../debounce').Token} token */
  async again(file, token) {
    const folder = this.reviewed.get(file);
    if (!folder) return;
    this.set(file, []); // stale until the new review says otherwise
    await this.review(file, folder, { title: `codeloop: reviewing ${path.basename(file)} again`, where: 'window', onCancel: (c) => token.onCancel(c), cancelled: () => token.cancelled });
  }

  /**
   * Quick fixes: a finding's suggested lines, for the findings under the cursor.
   * @param {vscode.TextDocument} doc @param {vscode.Range} _range @param {vscode.CodeActionContext} context
   */
  provideCodeActions(doc, _range, context) {
    const specs = this.specs.get(doc.uri.fsPath) || [];
    const actions = [];
    for (const d of context.diagnostics) {
      if (!String(d.source || '').startsWith('codeloop')) continue;
      const spec = specs.find((s) => s.startLine === d.range.start.line && s.message === d.message && s.suggestion);
      const edit = spec && results.suggestionEdit(spec);
      if (!edit || edit.endLine >= doc.lineCount) continue;
      const action = new vscode.CodeAction(`codeloop: replace with "${edit.text.trim().slice(0, 60)}"`, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(doc.uri, new vscode.Range(edit.startLine, 0, edit.endLine, doc.lineAt(edit.endLine).text.length), edit.text);
      action.diagnostics = [d];
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }
}

/** @param {results.DiagnosticSpec} spec */
function toDiagnostic(spec) {
  const range = new vscode.Range(spec.startLine, 0, spec.endLine, Number.MAX_SAFE_INTEGER);
  const severity = spec.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const d = new vscode.Diagnostic(range, spec.message, severity);
  d.source = spec.source;
  d.code = spec.code;
  return d;
}

/**
 * Findings grouped by file, every reviewed file present (a file without findings is cleared).
 * @param {results.DiagnosticSpec[]} specs @param {string[]} files
 * @returns {Map<string, results.DiagnosticSpec[]>}
 */
function byFile(specs, files) {
  /** @type {Map<string, results.DiagnosticSpec[]>} */
  const grouped = new Map(files.map((f) => [f, []]));
  for (const s of specs) grouped.set(s.file, [...(grouped.get(s.file) || []), s]);
  return grouped;
}

module.exports = { Reviews };
