// @ts-check
// Which stub the cursor is in, for "Generate function body". Pure text scanning of a Python
// file (what `codeloop generate FILE::NAME` takes: a module-level function); the CLI parses
// the file properly and says so in one line if the guess does not name a stub it can fill.
'use strict';

const DEF = /^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/;

/**
 * The module-level function whose def, decorators or body hold `line`; null in a class, at
 * module level, or in a file without one.
 * @param {string} text  the whole file
 * @param {number} line  0-based
 * @returns {{name: string, line: number} | null}  line: 0-based, of the `def`
 */
function enclosingFunction(text, line) {
  const lines = text.split(/\r?\n/);
  if (line < 0 || line >= lines.length) return null;
  // On a decorator: the def follows the decorators.
  let i = line;
  while (i < lines.length && /^@/.test(lines[i])) i += 1;
  if (i !== line) {
    const m = DEF.exec(lines[i] || '');
    return m ? { name: m[1], line: i } : null;
  }
  // Else walk up to the nearest line at column 0 that starts a statement.
  for (let j = line; j >= 0; j -= 1) {
    const l = lines[j];
    if (!l.trim() || /^\s/.test(l) || /^#/.test(l)) continue;
    if (/^[)\]}]/.test(l)) continue; // the closing line of a wrapped signature: `) -> int:`
    const m = DEF.exec(l);
    return m ? { name: m[1], line: j } : null;
  }
  return null;
}

module.exports = { enclosingFunction };
