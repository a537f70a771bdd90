/**
 * Running many commands of a witness tool (ip, conntrack) in one shell, each with its own
 * outcome: one process per seed instead of one per command.
 */
import { spawnSync } from 'node:child_process';

/** What one command of a script did: its exit status and everything it printed. */
export interface CommandOutcome {
  status: number;
  output: string;
}

/** Printed after each command, with its exit status: `${STATUS_MARK} $?`. */
export const STATUS_MARK = '@@routemark-command-status';

/** A word for `sh`, quoted so that nothing in it is expanded. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `script` with `sh -s` under `launcher` (such as `ip netns exec NS`) and splits what it
 * printed at the status lines its commands end with (see {@link STATUS_MARK}). Throws if the
 * shell failed or fewer than `commandCount` commands reported, naming `what` ran.
 */
export function runStatusScript(launcher: readonly string[], script: readonly string[], commandCount: number, what: string): CommandOutcome[] {
  const result = spawnSync(launcher[0]!, [...launcher.slice(1), 'sh', '-s'], { input: `${script.join('\n')}\n`, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.status !== 0) throw new Error(`the ${what} script failed (${result.status}): ${result.stderr}`);
  const outcomes: CommandOutcome[] = [];
  let output: string[] = [];
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith(STATUS_MARK)) {
      outcomes.push({ status: Number(line.slice(STATUS_MARK.length + 1)), output: output.join('\n') });
      output = [];
    } else {
      output.push(line);
    }
  }
  if (outcomes.length !== commandCount) throw new Error(`the ${what} script ran ${outcomes.length} of ${commandCount} commands: ${result.stdout}`);
  return outcomes;
}
