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
  },
});
