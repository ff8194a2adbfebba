import { defineConfig } from "vitest/config";

// Browser tests: one file at a time against the one server e2e/run.mjs started.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { concurrent: false },
    // The server answers in milliseconds, but a loaded 2-core CI machine can take seconds.
    expect: { poll: { timeout: 10_000, interval: 100 } },
  },
});
