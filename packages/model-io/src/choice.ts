/**
 * A value the user picks from a fixed list (engine, backend, device, step, ...): parsed in one place,
 * so every flag and spec field fails the same way, before any work, listing what is valid.
 */
export function parseChoice<T extends string>(value: string, choices: readonly T[], what: string): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new Error(`unknown ${what} '${value}' (valid: ${choices.join(', ')})`);
}
