import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stops the run at once, with one message, when a server or the browser the tests need is missing.
    globalSetup: ['test/setup/services.ts'],
    // Files run in parallel forks; each test that needs a port asks the OS for a free one.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
