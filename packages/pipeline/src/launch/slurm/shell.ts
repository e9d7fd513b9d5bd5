const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX-sh quoting of one word: bare when harmless, else single quotes with ' spelled '\''. */
export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The --wrap script body: exec, so the task's exit status and signal are the command's own. */
export function execLine(argv: string[]): string {
  if (argv.length === 0) throw new Error('Slurm job command must not be empty');
  return `exec ${argv.map(shellQuote).join(' ')}`;
}
