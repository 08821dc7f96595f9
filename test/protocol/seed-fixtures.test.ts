import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSeed, readSeedJson, SEED_REQUEST_NAMES } from '../fixtures/seeds.js';

// The two source documents of the callbacks, kept in the repository as they were published; the
// fixtures are checked against them byte for byte.
const SEEDS = new URL('../fixtures/seed-documents/', import.meta.url);

/** Cuts a `//` comment off a line, leaving `//` inside a JSON string (a URL) alone. */
function stripLineComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

/** The fenced blocks of a seed document that hold a JSON object, comments stripped. */
function jsonSamples(document: string): string[] {
  const samples: string[] = [];
  let block: string[] | null = null;
  for (const line of document.split('\n')) {
    if (line.startsWith('```')) {
      if (block) samples.push(`${block.map(stripLineComment).join('\n')}\n`);
      block = block ? null : [];
    } else block?.push(line);
  }
  return samples.filter((sample) => sample.startsWith('{'));
}

function seedDocument(prefix: string): string {
  const file = readdirSync(SEEDS).find((name) => name.startsWith(prefix));
  if (!file) throw new Error(`no seed ${prefix}`);
  return readFileSync(new URL(file, SEEDS), 'utf8');
}

describe('the seed fixtures', () => {
  it('holds seed 000 sample request and response byte for byte, comments stripped', () => {
    const [request, response] = jsonSamples(seedDocument('000_'));
    expect(readSeed('topic-info-changed')).toBe(request);
    expect(readSeed('answer')).toBe(response);
  });

  it('holds the three sample requests of seed 003 byte for byte, comments stripped', () => {
    const [basic, custom, both, response] = jsonSamples(seedDocument('003_'));
    expect(readSeed('group-info-changed-basic')).toBe(basic);
    expect(readSeed('group-info-changed-custom')).toBe(custom);
    expect(readSeed('group-info-changed-both')).toBe(both);
    // Seed 003's response differs from seed 000's only by one space before its comment.
    expect(JSON.parse(response ?? '')).toEqual(readSeedJson('answer'));
  });
});

describe('readSeed', () => {
  it('keeps the tabs and the URL of the topic sample, which a naive comment strip would break', () => {
    const raw = readSeed('topic-info-changed');
    expect(raw).toContain('"GroupId" : "@TGS#2J4SZEAEL",\t\n');
    expect(raw).toContain('"Name":\t"TestTopic"');
    expect(raw).toContain('"FaceUrl": "http://this.is.face.url"\t\n');
    expect(raw).not.toContain('Callback command');
  });

  it('gives every request sample as valid JSON that names its own command', () => {
    for (const name of SEED_REQUEST_NAMES) {
      const body = readSeedJson(name);
      expect(body.CallbackCommand, name).toMatch(/^Group\.CallbackAfter(Group|Topic)InfoChanged$/);
      expect(body.GroupId, name).toBe('@TGS#2J4SZEAEL');
    }
  });
});
