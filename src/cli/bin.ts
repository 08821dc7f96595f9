#!/usr/bin/env node
import { StartError } from './await-listening.js';
import { outputFailure, watchOutput } from './closed-output.js';
import { type CliCommand, UsageError } from './command.js';

// Each command is loaded only when asked for, so `timhook send` does not load SQLite.
const commands: Record<string, () => Promise<{ command: CliCommand }>> = {
  serve: () => import('./commands/serve.js'),
  send: () => import('./commands/send.js'),
  tail: () => import('./commands/tail.js'),
  demo: () => import('./commands/demo.js'),
  emulator: () => import('./commands/emulator.js'),
  relay: () => import('./commands/relay.js'),
  reconcile: () => import('./commands/reconcile.js'),
};

const HELP = `timhook — receive, record, relay and emulate Tencent Cloud Chat group/topic profile callbacks

Usage: timhook <command> [options]

Commands:
${'{list}'}

Run 'timhook <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(
      Object.entries(commands).map(
        async ([n, load]) => `  ${n.padEnd(10)} ${(await load()).command.summary}`,
      ),
    );
    process.stdout.write(`${HELP.replace('{list}', lines.join('\n'))}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(
      `timhook: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}\n`,
    );
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help.trim()}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `timhook ${name}: ${error.message}\nRun 'timhook ${name} --help' for the options.\n`,
      );
      return 2;
    }
    if (error instanceof StartError) {
      process.stderr.write(`timhook ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

watchOutput();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code === 0 && outputFailure() ? 1 : code;
  },
  (error: unknown) => {
    process.stderr.write(`timhook: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
