// Builds dist/esm (ES modules) and dist/cjs (CommonJS) from src/ with tsc, so that
// `import { addRule } from 'routemark'` and `require('routemark')` both work with types.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.cjs.json'], { stdio: 'inherit' });
// Examples (and the demo) import 'routemark' like any user would, so they build after dist/.
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.examples.json'], { stdio: 'inherit' });
// package.json says "type": "module"; this marks dist/cjs as CommonJS.
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
