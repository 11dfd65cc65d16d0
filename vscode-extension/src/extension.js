// @ts-check
// The thin `vscode` glue: pick the folder, read settings, run the CLI with progress, show what
// results.js made of its JSON. All decisions about argv and output live in cli.js / results.js.
'use strict';

const path = require('node:path');
const vscode = require('vscode');
const cli = require('./cli');
const results = require('./results');
const { runCli, startFailureMessage } = require('./run');

const SCHEME = 'codeloop';

/** Read-only documents (maps, diffs): their text lives here, keyed by URI. */
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

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  const output = vscode.window.createOutputChannel('codeloop');
  const diagnostics = vscode.languages.createDiagnosticCollection('codeloop');
  const docs = new ReadOnlyDocuments();
  const deps = { output, diagnostics, docs };
  context.subscriptions.push(
    output,
    diagnostics,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, docs),
    vscode.commands.registerCommand('codeloop.fix', () => fixCommand(deps)),
    vscode.commands.registerCommand('codeloop.review', () => reviewCommand(deps)),
    vscode.commands.registerCommand('codeloop.extractMethod', () => extractCommand(deps)),
    vscode.commands.registerCommand('codeloop.map', () => mapCommand(deps)),
  );
}

/** @typedef {{output: vscode.OutputChannel, diagnostics: vscode.DiagnosticCollection, docs: ReadOnlyDocuments}} Deps */

/** The active file's workspace folder, the only folder, or the user's pick. */
async function pickFolder() {
  const active = vscode.window.activeTextEditor;
  const own = active && vscode.workspace.getWorkspaceFolder(active.document.uri);
  if (own) return own;
  const folders = vscode.workspace.workspaceFolders || [];
  if (folders.length === 1) return folders[0];
  if (!folders.length) {
    vscode.window.showErrorMessage('codeloop: open a folder inside a git repository first.');
    return undefined;
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for codeloop' });
}

/** @param {vscode.Uri | undefined} scope */
function settings(scope) {
  const c = vscode.workspace.getConfiguration('codeloop', scope);
  return cli.normalizeSettings({ executable: c.get('executable'), timeBudget: c.get('timeBudget'), noModel: c.get('noModel'), testCommand: c.get('testCommand') });
}

/**
 * Runs the CLI under a progress notification whose cancel button interrupts it (SIGINT).
 * Resolves undefined when it could not start (the reason has been shown).
 * @param {Deps} deps @param {cli.Invocation} inv @param {string} cwd @param {string} title
 * @returns {Promise<cli.Outcome | undefined>}
 */
function runWithProgress(deps, inv, cwd, title) {
  deps.output.appendLine(`$ ${[inv.command, ...inv.args].join(' ')}  (in ${cwd})`);
  const options = { location: vscode.ProgressLocation.Notification, title, cancellable: true };
  return Promise.resolve(vscode.window.withProgress(options, async (progress, token) => {
    try {
      const out = await runCli(inv, {
        cwd,
        onCancel: (cancel) => token.onCancellationRequested(cancel),
        onStderr: (chunk) => {
          deps.output.append(chunk);
          const line = cli.lastStderrLine(chunk);
          if (line) progress.report({ message: line.slice(0, 120) });
        },
      });
      deps.output.appendLine(`[exit ${out.code ?? out.signal}]`);
      return out;
    } catch (err) {
      const message = startFailureMessage(/** @type {Error} */ (err), inv.command);
      deps.output.appendLine(message);
      vscode.window.showErrorMessage(message);
      return undefined;
    }
  }));
}

/** codeloop reads the files from disk: unsaved edits in the folder would be silently ignored. */
async function savedFolder(/** @type {vscode.WorkspaceFolder} */ folder) {
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && vscode.workspace.getWorkspaceFolder(d.uri) === folder);
  if (!dirty.length) return true;
  const choice = await vscode.window.showWarningMessage(`codeloop: ${dirty.length} file(s) have unsaved changes; codeloop works on the saved files.`, 'Save All', 'Cancel');
  if (choice !== 'Save All') return false;
  return (await Promise.all(dirty.map((d) => d.save()))).every(Boolean);
}

/** @param {Deps} deps */
async function fixCommand(deps) {
  const folder = await pickFolder();
  if (!folder || !(await savedFolder(folder))) return;
  const cwd = folder.uri.fsPath;
  const s = settings(folder.uri);
  const out = await runWithProgress(deps, cli.fixInvocation(s, cwd), cwd, 'codeloop: fixing failing tests');
  if (!out) return;
  const r = results.fixResult(out);
  if (r.kind === 'fixed') {
    const choice = await vscode.window.showInformationMessage(r.message, 'Undo', 'Show diff');
    if (choice === 'Show diff') await deps.docs.show('fix.diff', r.diff, 'diff');
    if (choice === 'Undo') await undo(deps, s, cwd);
  } else if (r.kind === 'usage' || r.kind === 'error') {
    vscode.window.showErrorMessage(`codeloop: ${r.message}`);
  } else {
    vscode.window.showInformationMessage(r.message);
  }
}

/** @param {Deps} deps @param {cli.Settings} s @param {string} cwd */
async function undo(deps, s, cwd) {
  const out = await runWithProgress(deps, cli.undoInvocation(s, cwd), cwd, 'codeloop: undo');
  if (!out) return;
  const r = results.undoResult(out);
  if (r.ok) vscode.window.showInformationMessage(r.message);
  else vscode.window.showErrorMessage(`codeloop undo: ${r.message}`);
}

/** @param {Deps} deps */
async function reviewCommand(deps) {
  const folder = await pickFolder();
  if (!folder) return;
  const cwd = folder.uri.fsPath;
  let top;
  try {
    top = (await runCli({ command: 'git', args: ['rev-parse', '--show-toplevel'] }, { cwd })).stdout.trim();
  } catch (err) {
    vscode.window.showErrorMessage(`codeloop: git is needed for review (${/** @type {Error} */ (err).message})`);
    return;
  }
  const out = await runWithProgress(deps, cli.reviewInvocation(settings(folder.uri)), cwd, 'codeloop: reviewing staged changes');
  if (!out) return;
  const r = results.reviewResult(out, top || cwd);
  if (!r.ok) {
    vscode.window.showErrorMessage(`codeloop review: ${r.message}`);
    return;
  }
  deps.diagnostics.clear();
  /** @type {Map<string, vscode.Diagnostic[]>} */
  const byFile = new Map();
  for (const spec of r.diagnostics) {
    const range = new vscode.Range(spec.startLine, 0, spec.endLine, Number.MAX_SAFE_INTEGER);
    const severity = spec.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
    const d = new vscode.Diagnostic(range, spec.message, severity);
    d.source = spec.source;
    d.code = spec.code;
    byFile.set(spec.file, [...(byFile.get(spec.file) || []), d]);
  }
  for (const [file, list] of byFile) deps.diagnostics.set(vscode.Uri.file(file), list);
  vscode.window.showInformationMessage(r.summary);
}

/** @param {Deps} deps */
async function extractCommand(deps) {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    vscode.window.showErrorMessage('codeloop: select the statements to extract in an editor first.');
    return;
  }
  const doc = editor.document;
  if (doc.isUntitled || doc.uri.scheme !== 'file' || doc.isDirty) {
    vscode.window.showWarningMessage(`codeloop: save ${path.basename(doc.fileName)} first; extract-method works on the saved file.`);
    return;
  }
  const sel = editor.selection;
  const lines = cli.selectionLines({ startLine: sel.start.line, endLine: sel.end.line, endCharacter: sel.end.character });
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const cwd = folder ? folder.uri.fsPath : path.dirname(doc.uri.fsPath);
  const s = settings(doc.uri);
  const out = await runWithProgress(deps, cli.extractInvocation(s, doc.uri.fsPath, lines), cwd, `codeloop: extracting lines ${lines.start}-${lines.end}`);
  if (!out) return;
  const r = results.extractResult(out);
  if (!r.ok) {
    vscode.window.showErrorMessage(`codeloop: ${r.message}`);
    return;
  }
  const choice = await vscode.window.showInformationMessage(r.message, 'Undo', 'Show diff');
  if (choice === 'Show diff') await deps.docs.show('extract.diff', r.diff, 'diff');
  if (choice === 'Undo') await undo(deps, s, cwd);
}

/** @param {Deps} deps */
async function mapCommand(deps) {
  const folder = await pickFolder();
  if (!folder) return;
  const cwd = folder.uri.fsPath;
  const s = settings(folder.uri);
  const active = vscode.window.activeTextEditor;
  const focus = active && vscode.workspace.getWorkspaceFolder(active.document.uri) === folder ? path.relative(cwd, active.document.uri.fsPath) : undefined;
  let out = await runWithProgress(deps, cli.mapInvocation(s, cwd, focus), cwd, 'codeloop: mapping the repository');
  if (out && focus && results.focusRejected(out)) {
    out = await runWithProgress(deps, cli.mapInvocation(s, cwd, undefined), cwd, 'codeloop: mapping the repository');
  }
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
