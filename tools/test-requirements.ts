// What a test needs from the machine (Chromium, a localhost Slurm cluster, a tmpfs mount): outside CI
// a missing one skips the tests that need it, with a message saying why; in CI (`CI` set) it fails,
// naming what is missing, so a green CI run never hides a check that did not run.
import { it } from 'vitest';

/** True when the `CI` variable is set to anything but '', '0' or 'false' (GitHub, GitLab, .ci/run). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** The line a missing requirement produces, in CI (an error) or elsewhere (a skip notice). */
export function requirementMessage(what: string, missing: string, ci: boolean): string {
  return ci ? `CI requires ${what}, but it is missing: ${missing}` : `SKIPPED tests that need ${what}: ${missing}`;
}

/**
 * Declare a requirement at the top of a test file (or inside a describe): `missing` is undefined when
 * it is met, else why it is not. Returns whether the tests needing it can run; use it with
 * `describe.skipIf(!ok)`. Where it is missing, CI gets a failing test naming it, any other run a
 * warning on stderr.
 */
export function requirement(what: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (inCi()) {
    it(`requires ${what}`, () => {
      throw new Error(requirementMessage(what, missing, true));
    });
  } else {
    console.warn(requirementMessage(what, missing, false));
  }
  return false;
}

/**
 * For a requirement only known once a hook ran (e.g. Chromium found or installed in beforeAll): call
 * inside the test; in CI it throws, elsewhere it warns and returns true (the caller then skips).
 */
export function skipUnlessCi(what: string, missing: string): true {
  if (inCi()) throw new Error(requirementMessage(what, missing, true));
  console.warn(requirementMessage(what, missing, false));
  return true;
}
