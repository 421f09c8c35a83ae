import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel, two at a time, each with its own emulators on free ports.
    maxWorkers: 2,
    env: { AWS_REGION: 'us-east-1' },
  },
});
