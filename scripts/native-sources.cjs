// Prints the addon's C++ sources (native/**/*.cc), one per line, for binding.gyp.
// CMakeLists.txt globs the same files, so node-gyp and cmake-js always build the same addon.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.cc') ? [full] : [];
  });
}

process.stdout.write(walk('native').sort().join('\n') + '\n');
