import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The server serves dist/ at /console/ (CRM_CONSOLE=true), so assets are
// built for that base. The router uses the URL's hash, so any path under
// /console/ shows the app.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist' },
});
