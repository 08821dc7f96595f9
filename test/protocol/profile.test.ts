import { describe, expect, it } from 'vitest';
import { BASE_FIELDS, CUSTOM_PREFIX, changeEntries } from '../../src/protocol/profile.js';

describe('changeEntries', () => {
  it('lists the base fields in their documented order, then custom fields as customFields.<Key>', () => {
    expect(BASE_FIELDS).toEqual(['Name', 'Introduction', 'Notification', 'FaceUrl']);
    expect(CUSTOM_PREFIX).toBe('customFields.');
    expect(
      changeEntries({
        FaceUrl: 'f',
        Name: 'n',
        customFields: { B: '2', A: '1' },
        Notification: '',
      }),
    ).toEqual([
      ['Name', 'n'],
      ['Notification', ''],
      ['FaceUrl', 'f'],
      ['customFields.B', '2'],
      ['customFields.A', '1'],
    ]);
  });

  it('lists nothing for an empty change', () => {
    expect(changeEntries({})).toEqual([]);
    expect(changeEntries({ customFields: {} })).toEqual([]);
  });
});
