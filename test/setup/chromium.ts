/** Debian's chromium (installed by .ci/run when missing); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
