// @ts-check
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { enclosingFunction } = require('../../src/source');

const FILE = [
  'import math',                      // 0
  '',                                 // 1
  '@cache',                           // 2
  'def double(n):',                   // 3
  '    """Return n doubled.',         // 4
  '',                                 // 5
  '    >>> double(4)',                // 6
  '    8',                            // 7
  '    """',                          // 8
  '',                                 // 9
  '',                                 // 10
  'async def fetch(',                 // 11
  '    url: str,',                    // 12
  ') -> bytes:',                      // 13
  '    """Get it."""',                // 14
  '',                                 // 15
  'class Box:',                       // 16
  '    def size(self):',              // 17
  '        """How big."""',           // 18
  '# trailing comment',               // 19
].join('\n');

test('the cursor on a def, in its docstring, on a blank line after it or on a decorator names it', () => {
  for (const line of [3, 4, 7, 8, 9, 10]) assert.deepEqual(enclosingFunction(FILE, line), { name: 'double', line: 3 }, `line ${line}`);
  assert.deepEqual(enclosingFunction(FILE, 2), { name: 'double', line: 3 });
});

test('a wrapped signature whose closing line sits at column 0 still belongs to its def', () => {
  for (const line of [11, 12, 13, 14, 15]) assert.deepEqual(enclosingFunction(FILE, line), { name: 'fetch', line: 11 }, `line ${line}`);
});

test('module level, classes and methods name no stub (generate fills module-level functions)', () => {
  assert.equal(enclosingFunction(FILE, 0), null);
  assert.equal(enclosingFunction(FILE, 1), null);
  assert.equal(enclosingFunction(FILE, 18), null);
  assert.equal(enclosingFunction(FILE, 99), null);
  assert.equal(enclosingFunction('', 0), null);
});
