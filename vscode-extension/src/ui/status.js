// @ts-check
// The status bar's model: the `codeloop.model` setting, else the project's default as
// `codeloop model list --json` names it. A click runs `codeloop doctor --json`: does it load
// here, and how fast does it decode?
'use strict';

const vscode = require('vscode');
const cli = require('../cli');
const results = require('../results');
const { runCli, startFailureMessage } = require('../run');
const { settings, pickFolder, runWithProgress } = require('./common');

class ModelStatus {
  /** @param {{output: vscode.OutputChannel}} deps */
  constructor(deps) {
    this.deps = deps;
    this.item = vscode.window.createStatusBarItem('codeloop.model', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'codeloop model';
    this.item.command = 'codeloop.checkModel';
    this.item.text = '$(loading~spin) codeloop';
    this.item.show();
  }

  /** @returns {vscode.Disposable[]} */
  listen() {
    return [
      this.item,
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('codeloop')) this.refresh(); }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    ];
  }

  /** The folder whose project's default counts: the active file's, else the first. */
  folder() {
    const active = vscode.window.activeTextEditor;
    return (active && vscode.workspace.getWorkspaceFolder(active.document.uri)) || (vscode.workspace.workspaceFolders || [])[0];
  }

  async refresh() {
    const folder = this.folder();
    const s = settings(folder && folder.uri);
    try {
      const out = s.model ? null : await runCli(cli.modelListInvocation(s), { cwd: folder ? folder.uri.fsPath : process.cwd() });
      const status = results.modelStatus(out, s.model);
      this.item.text = `${status.ok ? '$(hubot)' : '$(warning)'} ${status.text}`;
      this.item.tooltip = status.tooltip;
    } catch (err) {
      this.item.text = '$(warning) codeloop: not found';
      this.item.tooltip = startFailureMessage(/** @type {Error} */ (err), s.executable);
    }
  }

  /** `codeloop doctor --json` in the folder: every model's load and speed, and the problems. */
  async check() {
    const folder = await pickFolder();
    if (!folder) return;
    const cwd = folder.uri.fsPath;
    const out = await runWithProgress(this.deps, cli.doctorInvocation(settings(folder.uri), cwd), { cwd, title: 'codeloop: checking the model (doctor)' });
    if (!out) return;
    const r = results.doctorSummary(out);
    for (const line of r.lines) this.deps.output.appendLine(line);
    const text = `codeloop doctor: ${r.lines.join('; ')}`;
    this.item.tooltip = `${this.item.tooltip || ''}\n\n${r.lines.join('\n')}`;
    if (r.ok) vscode.window.showInformationMessage(text);
    else vscode.window.showWarningMessage(text);
  }
}

module.exports = { ModelStatus };
