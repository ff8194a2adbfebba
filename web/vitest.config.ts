import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Unit tests (jsdom). The browser tests have their own config in e2e/.
export default defineConfig({
  plugins: [react()],
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    css: false,
    restoreMocks: true,
    // Component tests type into forms; a loaded 2-core CI machine needs more than the 5 s default.
    testTimeout: 20_000,
  },
});
