/**
 * The REST API's domain for each data centre an app can live in (the RESTful API overview's
 * "dedicated domain name" list). The app's SDKAppID only works against its own region's domain.
 */
export const REST_REGIONS = {
  /** China. */
  cn: 'console.tim.qq.com',
  /** Singapore. */
  sgp: 'adminapisgp.im.qcloud.com',
  /** Seoul. */
  kr: 'adminapikr.im.qcloud.com',
  /** Frankfurt. */
  ger: 'adminapiger.im.qcloud.com',
  /** Silicon Valley. */
  usa: 'adminapiusa.im.qcloud.com',
  /** Mumbai (listed on older pages). */
  ind: 'adminapiind.im.qcloud.com',
  /** Jakarta. */
  idn: 'adminapiidn.im.qcloud.com',
  /** Tokyo (listed on newer pages). */
  jpn: 'adminapijpn.im.qcloud.com',
  /** Riyadh (listed on newer pages). */
  ksa: 'adminapiksa.im.qcloud.com',
} as const;

/** A region name: `cn`, `sgp`, `kr`, `ger`, `usa`, `ind`, `idn`, `jpn`, `ksa`. */
export type RestRegion = keyof typeof REST_REGIONS;

/** True when `value` names a region of {@link REST_REGIONS}. */
export function isRestRegion(value: string): value is RestRegion {
  return Object.hasOwn(REST_REGIONS, value);
}

/**
 * The base URL REST calls go to: `https://<region's domain>` for a region, or `baseUrl` itself
 * (any `http(s)` URL, e.g. an emulator's) without its trailing slash. Exactly one must be given.
 */
export function resolveRestBaseUrl(target: {
  region?: RestRegion | undefined;
  baseUrl?: string | undefined;
}): string {
  const { region, baseUrl } = target;
  if ((region === undefined) === (baseUrl === undefined)) {
    throw new TypeError('[timhook] give exactly one of `region` and `baseUrl` for the REST API');
  }
  if (region !== undefined) {
    if (!isRestRegion(region)) {
      throw new TypeError(
        `[timhook] unknown REST region ${JSON.stringify(region)}: one of ${Object.keys(REST_REGIONS).join(', ')}`,
      );
    }
    return `https://${REST_REGIONS[region]}`;
  }
  let url: URL;
  try {
    url = new URL(baseUrl!);
  } catch {
    throw new TypeError(`[timhook] the REST base URL ${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('[timhook] the REST base URL must be http(s)');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError('[timhook] the REST base URL must have no query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}
