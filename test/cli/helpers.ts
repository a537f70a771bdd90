/** Running the built `routemark` command in tests. */
import { spawnSync } from 'node:child_process';

/** The command, as `npm run build:ts` builds it. */
export const CLI = 'dist/esm/cli/main.js';

/** Runs `routemark ARGS` (with `input` on stdin) and waits for it. */
export function routemark(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
