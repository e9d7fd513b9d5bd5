// Finds Debian's Chromium for the browser test, installing it with apt-get when it is missing and
// this is a root Linux machine with apt (time-capped). Never throws: says why it is unavailable.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type ChromiumLookup = { path: string } | { unavailable: string };

function tail(text: string | null | undefined): string {
  return (text ?? '').trim().split('\n').slice(-3).join(' | ');
}

/** Installs chromium via apt-get if needed, within `budgetMs` (apt-get update + install at most). */
export function findOrInstallChromium(budgetMs = 300_000): ChromiumLookup {
  if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH };
  if (process.platform !== 'linux') return { unavailable: `${CHROMIUM_PATH} is missing and this is not Linux` };
  if (process.getuid?.() !== 0) return { unavailable: `${CHROMIUM_PATH} is missing and apt-get needs root` };
  if (!existsSync('/usr/bin/apt-get')) return { unavailable: `${CHROMIUM_PATH} is missing and there is no apt-get` };
  const deadline = Date.now() + budgetMs;
  const aptGet = (args: string[]) =>
    spawnSync('apt-get', args, {
      encoding: 'utf8',
      timeout: Math.max(1_000, deadline - Date.now()),
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  console.warn(`[browser test] ${CHROMIUM_PATH} missing: apt-get install -y chromium (up to ${budgetMs / 1000} s)`);
  let install = aptGet(['install', '-y', 'chromium']);
  if (install.status !== 0 && Date.now() < deadline) {
    const update = aptGet(['update']);
    if (update.status !== 0) return { unavailable: `apt-get update failed: ${tail(update.stderr) || update.error?.message}` };
    install = aptGet(['install', '-y', 'chromium']);
  }
  if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH };
  return { unavailable: `apt-get install -y chromium failed: ${tail(install.stderr) || install.error?.message || `exit ${install.status}`}` };
}
