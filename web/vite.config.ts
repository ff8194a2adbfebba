import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Production: `vite build` writes into the Django package, where WhiteNoise serves it at `/`
// and every non-API path falls back to index.html (src/fleetgate/api/spa.py).
// Development: `npm run dev` serves on :5173 and proxies the API to a running `fleetgate up`.
// The proxy keeps the browser's Host header so Django's CSRF origin check sees one origin.
const API = process.env.FLEETGATE_DEV_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "../src/fleetgate/static_ui",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: API, changeOrigin: false },
      "/health": { target: API, changeOrigin: false },
    },
  },
});
