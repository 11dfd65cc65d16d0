// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const glueFiles = ['src/extension.js', ...fs.readdirSync(path.join(root, 'src', 'ui')).map((f) => `src/ui/${f}`)];
const glue = glueFiles.map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n');
const pure = ['cli', 'events', 'results', 'run', 'source', 'debounce'].map((m) => fs.readFileSync(path.join(root, 'src', `${m}.js`), 'utf8'));

test('every contributed command is registered by the glue, and only those', () => {
  const contributed = manifest.contributes.commands.map((/** @type {{command: string}} */ c) => c.command).sort();
  const registered = [...glue.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(registered, contributed);
  assert.ok(manifest.contributes.commands.every((/** @type {{category: string}} */ c) => c.category === 'codeloop'));
});

test('every command a menu names is contributed', () => {
  const contributed = new Set(manifest.contributes.commands.map((/** @type {{command: string}} */ c) => c.command));
  for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
    for (const item of /** @type {{command: string}[]} */ (items)) assert.ok(contributed.has(item.command), `${menu}: ${item.command}`);
  }
});

test('every setting the glue reads is contributed with a default', () => {
  const read = [...glue.matchAll(/c\.get\('([^']+)'\)/g)].map((m) => `codeloop.${m[1]}`).sort();
  assert.deepEqual(read, Object.keys(manifest.contributes.configuration.properties).sort());
  for (const prop of Object.values(manifest.contributes.configuration.properties)) assert.ok('default' in prop);
});

test('the pure modules never load vscode (node --test runs them as they ship)', () => {
  for (const text of pure) assert.doesNotMatch(text, /require\('vscode'\)/);
});

test('the engine stays within what code-server 4.100 (VS Code 1.100) runs', () => {
  const [major, minor] = manifest.engines.vscode.replace(/^\^/, '').split('.').map(Number);
  assert.ok(major === 1 && minor <= 100, manifest.engines.vscode);
});

test('publisher and repository are set (vsce refuses to package without them), no placeholder left', () => {
  assert.match(manifest.publisher, /^[a-z0-9][a-z0-9-]*$/);
  assert.match(manifest.repository.url, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
  assert.doesNotMatch(JSON.stringify(manifest), /OWNER|TODO|example\.com/);
});

test("only run.js touches the CLI's stderr (to split events from text); nothing reads its text", () => {
  const all = [...glueFiles, ...['cli', 'events', 'results', 'source', 'debounce'].map((m) => `src/${m}.js`)];
  for (const f of all) {
    const code = fs.readFileSync(path.join(root, f), 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join('\n');
    assert.doesNotMatch(code, /\.stderr\b/, f);
  }
});
