import { z } from 'zod';

/**
 * A URL setting that must be http(s): `--url 127.0.0.1:8787/callback` is refused as lacking its
 * scheme, with the URL that was probably meant, not as missing. `missing` is the message when the
 * setting is not given at all.
 */
export function httpUrlSetting(flag: string, missing: string) {
  return z.string({ error: missing }).superRefine((value, context) => {
    const problem = describeHttpUrlProblem(flag, value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
}

/** What is wrong with `value` as an http(s) URL, or null when nothing is. */
export function describeHttpUrlProblem(flag: string, value: string): string | null {
  if (isHttpUrl(value)) return null;
  const rule = `${flag} must start with http:// or https:// (got ${value})`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && isHttpUrl(`http://${value}`)) {
    return `${rule}: did you mean http://${value}?`;
  }
  return `${rule}, e.g. http://127.0.0.1:8787`;
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
}
