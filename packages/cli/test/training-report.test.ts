import { describe, expect, it } from 'vitest';
import { trainingRows } from '../src/commands/training-report.js';

describe('training-report rows', () => {
  it('one model-level row and one row per attention layer, norm ratio of the hidden state the layer writes', () => {
    const rows = trainingRows('run-a', [{ step: 100, loss: 2.5, sinkRate: 0.25, perLayerSinkRate: [0.5, 0], normRatio: [1.8, 0.3, 0.9], entropyNormalized: [0.7, 0.6, 0.65] }]);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ run: 'run-a', step: 100, layer: -1, sink_rate: 0.25, norm_ratio: 1.8, entropy_normalized: 0.6 });
    expect(rows[1]).toMatchObject({ layer: 0, layer_sink_rate: 0.5, norm_ratio: 0.3, entropy_normalized: 0.6 });
    expect(rows[2]).toMatchObject({ layer: 1, layer_sink_rate: 0, norm_ratio: 0.9, entropy_normalized: 0.65 });
  });
});
