import { expect, it } from 'vitest';
import { parseDuration, readRestSettings } from '../../src/cli/rest-settings.js';

it('reads --reconcile-every as a duration of at least a second', () => {
  expect(parseDuration('6h', 'reconcile-every')).toBe(21_600_000);
  expect(parseDuration('30m', 'reconcile-every')).toBe(1_800_000);
  expect(parseDuration('90s', 'reconcile-every')).toBe(90_000);
  expect(parseDuration('1.5d', 'reconcile-every')).toBe(129_600_000);
  for (const bad of ['6', '500ms', 'often', '-1h']) {
    expect(() => parseDuration(bad, 'reconcile-every')).toThrow(
      '--reconcile-every must be a duration of at least 1s, like 6h, 30m or 90s',
    );
  }
});

it('reads the REST settings whole, or not at all', () => {
  expect(readRestSettings({})).toBeNull();
  expect(
    readRestSettings({
      restAdmin: 'administrator',
      restSecretKey: 'key',
      restRegion: 'sgp',
      restRateLimits: ['get_group_info=100', 'get_appid_group_list=0.5'],
    }),
  ).toEqual({
    admin: 'administrator',
    secretKey: 'key',
    region: 'sgp',
    rateLimits: {
      'group_open_http_svc/get_group_info': 100,
      'group_open_http_svc/get_appid_group_list': 0.5,
    },
  });
  const base = { restAdmin: 'a', restSecretKey: 'k' };
  expect(() => readRestSettings({ ...base, restRegion: 'mars' })).toThrow(
    /--rest-region must be one of cn, sgp/,
  );
  expect(() => readRestSettings({ ...base, restRegion: 'cn', restUrl: 'http://x' })).toThrow(/not both/);
  expect(() => readRestSettings({ ...base, restUrl: 'ftp://x' })).toThrow(/http:\/\/ or https:\/\//);
  expect(() =>
    readRestSettings({ ...base, restUrl: 'http://x', restRateLimits: ['create_group=5'] }),
  ).toThrow(/--rest-rate-limit create_group=5: use API=N/);
});
