import { describe, expect, it } from 'vitest';
import { storedHead } from '../../src/store/rows.js';

describe("the stored part of an event's head", () => {
  it('is its changes and diff as JSON, in that order, and no superseded when it lost no field', () => {
    const changes = { Name: 'Team "A"\u2028', customFields: { Level: '\\3' } };
    const diff = [{ field: 'Name', from: null, to: 'Team "A"\u2028' }];
    expect(storedHead(changes, diff, [])).toBe(
      `{"changes":${JSON.stringify(changes)},"diff":${JSON.stringify(diff)}}`,
    );
  });

  it('ends with the fields it lost', () => {
    const changes = { Name: 'Late', Notification: 'Kept' };
    const diff = [{ field: 'Notification', from: 'Old', to: 'Kept' }];
    expect(JSON.parse(storedHead(changes, diff, ['Name']))).toStrictEqual({
      changes,
      diff,
      superseded: ['Name'],
    });
    expect(storedHead(changes, diff, ['Name'])).toMatch(/,"superseded":\["Name"\]\}$/);
  });
});
