import { exportArtifact, exportUsage } from './commands/export.js';
import { extract, extractUsage } from './commands/extract.js';
import { inspect, inspectUsage } from './commands/inspect.js';
import { measure, measureUsage } from './commands/measure.js';
import { run, runUsage, step, stepUsage } from './commands/run.js';
import { trainingReport, trainingReportUsage } from './commands/training-report.js';
import { CliError } from './cli-error.js';

type Command = { run: (argv: string[]) => Promise<number>; usage: string; summary: string };

const commands: Record<string, Command> = {
  inspect: { run: inspect, usage: inspectUsage, summary: 'architecture, parameters, dtype, BOS policy and tokenizer of a checkpoint' },
  extract: { run: extract, usage: extractUsage, summary: 'one forward pass; captured hooks written to a safetensors file' },
  run: { run, usage: runUsage, summary: 'run a pipeline end to end (every step; cached steps are hits)' },
  step: { run: step, usage: stepUsage, summary: 'run one pipeline step (what the Nx targets call)' },
  export: { run: exportArtifact, usage: exportUsage, summary: 'write an artifact as Parquet (pandas, polars, DuckDB)' },
  'training-report': { run: trainingReport, usage: trainingReportUsage, summary: 'training dynamics (loss, Sink_1, norm ratio vs step) from @sinkscope/train run folders' },
  measure: { run: measure, usage: measureUsage, summary: 'Sink_1, alpha per head, norms and matrix entropy per hidden state, as JSON' },
};

export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}\n      ${c.usage}`);
  return `usage: sinkscope <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Entry point: returns the exit code. Bad input prints one line and exits 2. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`sinkscope: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    // Validation errors (CliError, ConfigError, SafetensorsError, parseArgs', plain Errors) are one line;
    // a TypeError or RangeError is a bug in sinkscope, so its stack is printed too.
    const userFacing = err instanceof CliError || e.code?.startsWith('ERR_PARSE_ARGS') || !['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError'].includes(e.name);
    // a failed Slurm run lists each failed task with its log tail: print it whole
    process.stderr.write(`sinkscope ${name}: ${e.name === 'SlurmRunError' ? e.message : e.message.split('\n')[0]}\n`);
    if (!userFacing || process.env.SINKSCOPE_DEBUG) process.stderr.write(`${e.stack}\n`);
    // Ctrl-C: the shell's convention for a command ended by SIGINT
    return e.name === 'AbortError' ? 130 : e.name === 'SlurmRunError' ? 1 : 2;
  }
}
