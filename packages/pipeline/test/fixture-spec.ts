/**
 * A small pipeline spec over checkpoint folders, as the tests write them: 4 random-token sequences of
 * 16 tokens starting with BOS, on the tfjs engine, and `extra` YAML after that.
 */
export function fixtureSpecText(name: string, models: Readonly<Record<string, string>>, extra = ''): string {
  return `name: ${name}
models:
${Object.entries(models)
  .map(([model, path]) => `  - name: ${model}\n    path: ${path}`)
  .join('\n')}
dataset:
  spec: datasets/random-tokens-64.json
  count: 4
seqLen: 16
bosPolicy: always
engine: tfjs
${extra}`;
}
