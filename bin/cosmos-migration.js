#!/usr/bin/env node
'use strict';
// In a clone the TypeScript sources run directly (tsx); a built package runs dist/.
const path = require('node:path');
const fs = require('node:fs');

const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
let entry;
if (fs.existsSync(source)) {
  try {
    require('tsx/cjs');
    entry = source;
  } catch {
    entry = undefined;
  }
}
entry ??= path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
