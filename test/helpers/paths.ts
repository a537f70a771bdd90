/**
 * Paths into the repository. Tests run compiled from dist/tests/test/ (scripts/test) and, when
 * someone runs a file by hand with a TypeScript loader, from test/; a path relative to the
 * test's own file would differ between the two, so everything is found from the repository root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'routemark') return `${dir}/`;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test/helpers/paths: no routemark package.json above this file');
    dir = parent;
  }
}

/** The repository's root directory, ending in a slash (`${REPO_ROOT}dist/esm/index.js`). */
export const REPO_ROOT = findRoot();

/** A file URL under the repository root (`repoUrl('test/fixtures/ct/')`). */
export function repoUrl(relative: string): URL {
  return new URL(relative, pathToFileURL(REPO_ROOT));
}
