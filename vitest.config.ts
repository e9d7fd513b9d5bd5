import { defineConfig } from 'vitest/config';

// One Vitest run over every package; each package folder is a project with its own tests.
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
