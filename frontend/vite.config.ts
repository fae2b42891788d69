import vue from "@vitejs/plugin-vue";
import { fileURLToPath, URL } from "node:url";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";
import Components from "unplugin-vue-components/vite";
import { defineConfig } from "vite";

// The API serves dist/ at "/" with assets under /assets (service/app.py), so base and assetsDir
// must stay as they are. `npm run dev` proxies /api to a running `jiebang serve`.
export default defineConfig({
  base: "/",
  plugins: [
    vue(),
    // Element Plus on demand: only the components a template uses, with their CSS.
    Components({
      resolvers: [ElementPlusResolver({ importStyle: "css" })],
      dts: "src/components.d.ts",
    }),
  ],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      "/api": process.env.JIEBANG_API ?? "http://127.0.0.1:8000",
      "/healthz": process.env.JIEBANG_API ?? "http://127.0.0.1:8000",
    },
  },
});
