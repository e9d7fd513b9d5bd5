import { defineProject } from 'vitest/config';

/** Per-package Vitest settings: tests live next to the code (src/**\/*.test.ts) or in test/. */
export function packageProject(name: string) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  });
}
