import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real TLS handshakes and RSA key generation on a 2-core CI machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
