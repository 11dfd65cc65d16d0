// @ts-check
// The thin `vscode` glue: commands, settings, and what results.js made of the CLI's JSON.
// Argv lives in cli.js, reading the CLI's output in results.js and events.js, the stub under
// the cursor in source.js; ui/ holds the previews, the review diagnostics and the status bar.
'use strict';

const path = require('node:path');
const vscode = require('vscode');
const cli = require('./cli');
const results = require('./results');
const { enclosingFunction } = require('./source');
const { settings, pickFolder, savedFolder, runWithProgress } = require('./ui/common');
const { Previews, SCHEME: PREVIEW_SCHEME, undo } = require('./ui/preview');
const { Reviews } = require('./ui/review');
const { ModelStatus } = require('./ui/status');

const SCHEME = 'codeloop';

/** Read-only documents (the repo map): their text lives here, keyed by URI. */
class ReadOnlyDocuments {
  constructor() {
    /** @type {Map<string, string>} */
    this.texts = new Map();
    this.changed = new vscode.EventEmitter();
    this.onDidChange = this.changed.event;
  }

  /** @param {vscode.Uri} uri */
  provideTextDocumentContent(uri) {
    return this.texts.get(uri.toString()) || '';
  }

  /** @param {string} name @param {string} text @param {string} language */
  async show(name, text, language) {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: '/' + name });
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    const doc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), language);
    // Beside the file being worked on; with no editor open, Beside would leave an empty group.
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: column });
  }
}

/**
 * @typedef {{output: vscode.OutputChannel, docs: ReadOnlyDocuments, previews: Previews}} Deps
 */

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  const output = vscode.window.createOutputChannel('codeloop');
  const docs = new ReadOnlyDocuments();
  const previews = new Previews({ output });
  const reviews = new Reviews({ output });
  const status = new ModelStatus({ output });
  /** @type {Deps} */
  const deps = { output, docs, previews };
  context.subscriptions.push(
    output,
    ...reviews.listen(),
    ...status.listen(),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, docs),
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, previews),
    vscode.commands.registerCommand('codeloop.fix', () => fixCommand(deps)),
    vscode.commands.registerCommand('codeloop.generate', () => generateCommand(deps)),
    vscode.commands.registerCommand('codeloop.extractMethod', () => extractCommand(deps)),
    vscode.commands.registerCommand('codeloop.review', () => reviews.staged()),
    vscode.commands.registerCommand('codeloop.reviewFile', () => reviews.current()),
    vscode.commands.registerCommand('codeloop.map', () => mapCommand(deps)),
    vscode.commands.registerCommand('codeloop.undo', () => undoCommand(deps)),
    vscode.commands.registerCommand('codeloop.applyPreview', () => previews.resolve('apply')),
    vscode.commands.registerCommand('codeloop.discardPreview', () => previews.resolve('discard')),
    vscode.commands.registerCommand('codeloop.checkModel', () => status.check()),
  );
  status.refresh();
}

/**
 * Show a command's result: a preview is offered (Apply / Discard), anything else said.
 * @param {Deps} deps @param {cli.Settings} s @param {results.CommandResult} r
 */
async function conclude(deps, s, r) {
  if (r.kind === 'preview') await deps.previews.offer(s, r.patch, r.message);
  else if (r.kind === 'usage' || r.kind === 'error') vscode.window.showErrorMessage(`codeloop: ${r.message}`);
  else vscode.window.showInformationMessage(r.message);
}

/** @param {Deps} deps */
async function fixCommand(deps) {
  const folder = await pickFolder();
  if (!folder || !(await savedFolder(folder))) return;
  const cwd = folder.uri.fsPath;
  const s = settings(folder.uri);
  const out = await runWithProgress(deps, cli.fixInvocation(s, cwd), { cwd, title: 'codeloop: fixing failing tests' });
  if (out) await conclude(deps, s, results.fixResult(out));
}

/**
 * The active editor's saved Python file, or undefined (the reason shown). Saves it first:
 * codeloop reads files from disk.
 * @param {string} what  for the message
 */
async function savedPythonEditor(what) {
  const editor = vscode.window.activeTextEditor;
  const doc = editor && editor.document;
  if (!editor || !doc || doc.uri.scheme !== 'file' || doc.isUntitled) {
    vscode.window.showErrorMessage(`codeloop: ${what} in a saved file's editor first.`);
    return undefined;
  }
  if (doc.isDirty && !(await doc.save())) return undefined;
  return editor;
}

/** @param {Deps} deps */
async function generateCommand(deps) {
  const editor = await savedPythonEditor('put the cursor in a function stub (a def with its docstring)');
  if (!editor) return;
  const doc = editor.document;
  const stub = path.extname(doc.fileName) === '.py' ? enclosingFunction(doc.getText(), editor.selection.active.line) : null;
  if (!stub) {
    vscode.window.showErrorMessage('codeloop: put the cursor in a module-level Python function stub (its def line, docstring or body).');
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const cwd = folder ? folder.uri.fsPath : path.dirname(doc.uri.fsPath);
  const s = settings(doc.uri);
  const out = await runWithProgress(deps, cli.generateInvocation(s, doc.uri.fsPath, stub.name), { cwd, title: `codeloop: generating ${stub.name}`, answers: true });
  if (out) await conclude(deps, s, results.generateResult(out));
}

/** @param {Deps} deps */
async function extractCommand(deps) {
  const editor = await savedPythonEditor('select the statements to extract');
  if (!editor) return;
  const doc = editor.document;
  const sel = editor.selection;
  const lines = cli.selectionLines({ startLine: sel.start.line, endLine: sel.end.line, endCharacter: sel.end.character });
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const cwd = folder ? folder.uri.fsPath : path.dirname(doc.uri.fsPath);
  const s = settings(doc.uri);
  const title = `codeloop: extracting lines ${lines.start}-${lines.end}`;
  const out = await runWithProgress(deps, cli.extractInvocation(s, doc.uri.fsPath, lines), { cwd, title });
  if (!out) return;
  let r = results.extractResult(out);
  if (r.kind !== 'preview') return conclude(deps, s, r);
  const proposed = r.name || '';
  const name = await vscode.window.showInputBox({
    title: 'Name of the new function',
    value: proposed,
    prompt: `codeloop proposes ${proposed} (${r.nameSource === 'model' ? "the model's name" : `${r.nameSource} name`}); Enter keeps it.`,
    validateInput: (v) => cli.nameProblem(v) || undefined,
    ignoreFocusOut: true,
  });
  if (name === undefined) return;
  if (name.trim() !== proposed) {
    const again = await runWithProgress(deps, cli.extractInvocation(s, doc.uri.fsPath, lines, name.trim()), { cwd, title });
    if (!again) return;
    r = results.extractResult(again);
  }
  await conclude(deps, s, r);
}

/** @param {Deps} deps */
async function undoCommand(deps) {
  const folder = await pickFolder();
  if (folder) await undo(deps, settings(folder.uri), folder.uri.fsPath);
}

/** @param {Deps} deps */
async function mapCommand(deps) {
  const folder = await pickFolder();
  if (!folder) return;
  const cwd = folder.uri.fsPath;
  const s = settings(folder.uri);
  const active = vscode.window.activeTextEditor;
  const focus = active && vscode.workspace.getWorkspaceFolder(active.document.uri) === folder ? path.relative(cwd, active.document.uri.fsPath) : undefined;
  const title = 'codeloop: mapping the repository';
  let out = await runWithProgress(deps, cli.mapInvocation(s, cwd, focus), { cwd, title });
  if (out && focus && results.focusRejected(out)) out = await runWithProgress(deps, cli.mapInvocation(s, cwd, undefined), { cwd, title });
  if (!out) return;
  const r = results.mapResult(out);
  if (!r.ok) {
    vscode.window.showErrorMessage(`codeloop map: ${r.message}`);
    return;
  }
  await deps.docs.show(`map-${folder.name}.txt`, r.text, 'plaintext');
}

function deactivate() {}

module.exports = { activate, deactivate };
