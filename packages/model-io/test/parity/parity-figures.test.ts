import { describe, expect, it } from 'vitest';
import { checkReadmeRow, readmeParityBlock, renderParityTable, replaceParityBlock, roundUpFigure, summarizeParity, type ParityFigures } from '../../src/testing/index.js';

const figures: ParityFigures[] = [
  { suite: 'tfjs', fixtures: 11, tensors: 88, worst: 9.04e-7, where: 'gpt2 logits' },
  { suite: 'onnx', fixtures: 11, tensors: 88, worst: 1.1681e-6, where: 'llama hidden_states.3' },
  { suite: 'train', fixtures: 1, tensors: 8, worst: 6.18e-7, where: 'gpt2 logits' },
  { suite: 'tfjsExtra', fixtures: 16, tensors: 99, worst: 8e-7, where: 'mixtral logits' },
  { suite: 'onnxExtra', fixtures: 16, tensors: 99, worst: 8e-7, where: 'mixtral logits' },
  { suite: 'onnxStreamingExtra', fixtures: 16, tensors: 99, worst: 8e-7, where: 'mixtral logits' },
];
const readme = `# title\n\ntext\n\n${renderParityTable(figures)}\n\nmore\n`;

describe('README parity figures', () => {
  it('round up to two significant digits, so the stated figure is never below the measured one', () => {
    expect(roundUpFigure(1.1681e-6)).toBe('1.2e-6');
    expect(roundUpFigure(9.04e-7)).toBe('9.1e-7');
    expect(roundUpFigure(9.96e-7)).toBe('1.0e-6');
    expect(roundUpFigure(1e-6)).toBe('1.0e-6');
    expect(roundUpFigure(0)).toBe('0');
  });

  it('summarise the worst diff over fixtures and tensors, and where it was', () => {
    expect(summarizeParity('tfjs', { a: { logits: 1e-7, 'hidden_states.1': 3e-7 }, b: { logits: 2e-7 } })).toEqual({
      suite: 'tfjs',
      fixtures: 2,
      tensors: 3,
      worst: 3e-7,
      where: 'a hidden_states.1',
    });
  });

  it('accept the rows they were generated from and name what differs otherwise', () => {
    for (const f of figures) expect(checkReadmeRow(readme, f)).toBeUndefined();
    expect(checkReadmeRow(readme, { ...figures[1], worst: 1.3e-6 })).toMatch(/onnx engine .*states a worst diff of 1\.2e-6, but llama hidden_states\.3 measured 1\.3e-6/);
    expect(checkReadmeRow(readme, { ...figures[1], worst: 5e-7 })).toMatch(/more than twice the 5e-7 measured/);
    expect(checkReadmeRow(readme, { ...figures[0], fixtures: 12 })).toMatch(/it says 11 fixtures, the test compared 12/);
    expect(checkReadmeRow('# no table\n', figures[0])).toMatch(/has no parity block; run `npm run parity-figures`/);
  });

  it('replace only the block between the markers', () => {
    const updated = replaceParityBlock(readme, renderParityTable([{ ...figures[0], worst: 2e-7 }, ...figures.slice(1)]));
    expect(updated.startsWith('# title\n\ntext\n\n')).toBe(true);
    expect(updated.endsWith('\n\nmore\n')).toBe(true);
    expect(readmeParityBlock(updated)).toContain('| 11 | 88 | 2.0e-7 |');
  });
});
