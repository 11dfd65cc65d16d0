// @ts-check
// What every command's glue shares: the settings, the folder to work in, and running the CLI
// under a cancellable progress notification fed by its events (never by its stderr text).
'use strict';

const vscode = require('vscode');
const cli = require('../cli');
const events = require('../events');
const { runCli, startFailureMessage } = require('../run');

/**
 * @typedef {{output: vscode.OutputChannel}} Deps
 * @typedef {object} RunUi
 * @property {string} cwd
 * @property {string} title  the notification's title
 * @property {string} [input]  stdin (closed after it)
 * @property {boolean} [answers]  answer `Question` events with a quick pick
 * @property {'notification' | 'window'} [where]  window: a spinner in the status bar (background work)
 * @property {(cancel: () => void) => void} [onCancel]  another source of cancellation
 */

/** @param {vscode.Uri | undefined} scope @returns {cli.Settings} */
function settings(scope) {
  const c = vscode.workspace.getConfiguration('codeloop', scope);
  return cli.normalizeSettings({
    executable: c.get('executable'), model: c.get('model'), timeBudget: c.get('timeBudget'), noModel: c.get('noModel'), testCommand: c.get('testCommand'),
  });
}

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

/** codeloop reads the files from disk: unsaved edits in the folder would be silently ignored. */
async function savedFolder(/** @type {vscode.WorkspaceFolder} */ folder) {
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && vscode.workspace.getWorkspaceFolder(d.uri) === folder);
  if (!dirty.length) return true;
  const choice = await vscode.window.showWarningMessage(`codeloop: ${dirty.length} file(s) have unsaved changes; codeloop works on the saved files.`, 'Save All', 'Cancel');
  if (choice !== 'Save All') return false;
  return (await Promise.all(dirty.map((d) => d.save()))).every(Boolean);
}

/**
 * Ask the CLI's question with a quick pick; dismissing it takes the CLI's default.
 * @param {events.Question} q
 * @returns {Promise<string>} an option's id, or a typed value (free text)
 */
async function askQuestion(q) {
  /** @type {(vscode.QuickPickItem & {id: string})[]} */
  const items = q.options.map((o) => ({ label: o.label, description: o.id === q.defaultId ? `${o.detail} (default)`.trim() : o.detail, id: o.id }));
  if (q.freeText) items.push({ label: 'Another value...', description: 'type what it should be', id: '' });
  const pick = await vscode.window.showQuickPick(items, { title: 'codeloop asks', placeHolder: q.question, ignoreFocusOut: true });
  if (!pick) return q.defaultId;
  if (pick.id) return pick.id;
  const typed = await vscode.window.showInputBox({ title: 'codeloop asks', prompt: q.question, ignoreFocusOut: true });
  return typed === undefined || !typed.trim() ? q.defaultId : typed.trim();
}

/**
 * Runs the CLI with its progress shown (and Cancel = SIGINT: nothing changes, exit 130).
 * Every event goes to the output channel as a line; the notification shows where it is.
 * Resolves undefined when it could not start (the reason has been shown).
 * @param {Deps} deps @param {cli.Invocation} inv @param {RunUi} ui
 * @returns {Promise<cli.Outcome | undefined>}
 */
function runWithProgress(deps, inv, ui) {
  deps.output.appendLine(`$ ${[inv.command, ...inv.args].join(' ')}  (in ${ui.cwd})`);
  const location = ui.where === 'window' ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
  const options = { location, title: ui.title, cancellable: ui.where !== 'window' };
  return Promise.resolve(vscode.window.withProgress(options, async (progress, token) => {
    let state = events.initialProgress();
    try {
      const out = await runCli(inv, {
        cwd: ui.cwd,
        input: ui.input,
        answers: ui.answers,
        onCancel: (cancel) => {
          token.onCancellationRequested(cancel);
          if (ui.onCancel) ui.onCancel(cancel);
        },
        onEvent: (event, reply) => {
          deps.output.appendLine(events.formatEvent(event));
          state = events.advance(state, event);
          progress.report({ message: events.describe(state).slice(0, 160) });
          const q = ui.answers ? events.questionOf(event) : null;
          if (q) askQuestion(q).then((answer) => reply(events.answerLine(q, answer)));
        },
        onText: (line) => deps.output.appendLine(line),
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

/**
 * The work tree's top (review's paths are relative to it), or undefined with the reason shown.
 * @param {string} cwd
 */
async function gitTop(cwd) {
  try {
    const out = await runCli({ command: 'git', args: ['rev-parse', '--show-toplevel'] }, { cwd });
    if (out.code === 0 && out.stdout.trim()) return out.stdout.trim();
    vscode.window.showErrorMessage(`codeloop: ${cwd} is not inside a git work tree; review reads git's changes.`);
  } catch (err) {
    vscode.window.showErrorMessage(`codeloop: git is needed for review (${/** @type {Error} */ (err).message})`);
  }
  return undefined;
}

module.exports = { settings, pickFolder, savedFolder, askQuestion, runWithProgress, gitTop };
