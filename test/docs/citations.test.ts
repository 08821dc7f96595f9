import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FOLDERS = ['src', 'test', 'bench', 'scripts', '.ci'];
const THIS_FILE = fileURLToPath(import.meta.url);

/** Every code file a reader opens: scripts, SQL and extensionless ones (`.ci/run`) included. */
function codeFiles(): string[] {
  return FOLDERS.map((folder) => join(ROOT, folder))
    .filter((folder) => existsSync(folder))
    .flatMap((folder) =>
      readdirSync(folder, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && /\.(ts|mts|mjs|js|sh|sql)$|^[^.]+$/.test(entry.name))
        .map((entry) => join(entry.parentPath, entry.name)),
    )
    .filter((path) => path !== THIS_FILE && !path.includes('node_modules'));
}

// The documents a fresh clone has are README.md, CONTRIBUTING.md and docs/; these names are of
// documents that live beside the repository, not in it.
const OUTSIDE = /\b(DESIGN|STYLE|PROTOCOL)\.md\b|\.\.\/shared\b/;

describe('citations in the code', () => {
  it('cite only documents inside the repository', () => {
    const outside: string[] = [];
    for (const file of codeFiles()) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (OUTSIDE.test(line)) outside.push(`${relative(ROOT, file)}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(outside).toEqual([]);
  });

  it('name docs/ files that exist', () => {
    const missing: string[] = [];
    for (const file of codeFiles()) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bdocs\/([\w./-]+\.md)\b/g)) {
        if (!existsSync(join(ROOT, 'docs', match[1]!))) missing.push(`${relative(ROOT, file)}: docs/${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
