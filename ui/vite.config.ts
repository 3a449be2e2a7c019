import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Relative asset paths: the host serves the bundle under /plugins/<name>/.
// ERPMAIL_UI_OUT puts the build output into the CMake build tree.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: process.env.ERPMAIL_UI_OUT || 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
