// `--help` for the benchmarks: each script's usage is the comment it opens with.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Prints the comment block at the top of the script at `scriptUrl` and exits when the command line
 * asks for help (`--help` or `-h`); call it before parsing the flags.
 */
export function helpIfAsked(scriptUrl, argv = process.argv.slice(2)) {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  const lines = readFileSync(new URL(scriptUrl), 'utf8').split('\n');
  const usage = [];
  for (const line of lines) {
    if (!line.startsWith('//')) break;
    usage.push(line.replace(/^\/\/ ?/, ''));
  }
  process.stdout.write(`${usage.join('\n')}\n`);
  process.exit(0);
}

/**
 * Exits with `hint` (what the tool is for and how to install it) unless `command --version` runs:
 * for a benchmark that measures with an outside tool (perf, valgrind).
 */
export function requireTool(command, hint) {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
  } catch {
    console.error(`${command} is not installed: ${hint}`);
    process.exit(1);
  }
}
