import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { LensHead, describeLocation, hiddenStateHooks } from '@sinkscope/model-io';
import { measureModel } from '@sinkscope/pipeline';
import { CliError } from '../cli-error.js';
import { defaultDatasetInput } from '../default-dataset.js';
import { ENGINE_FLAGS_USAGE, loadModelRun, MODEL_INPUT_OPTIONS, modelRunInput } from '../model-flags.js';
import { info, progress } from '../progress.js';

export const measureUsage =
  'sinkscope measure --model <dir|default|org/name[@revision]> [--token-ids <file.json> | --text "..."] [--eps 0.3] [--bos auto|always|never] [--engine auto|onnx|tfjs] --json <out.json> ' + ENGINE_FLAGS_USAGE;

/** Forward pass + the sink, norm and entropy measurements, written as one JSON object (field names in the metrics README). */
export async function measure(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...MODEL_INPUT_OPTIONS, eps: { type: 'string', default: '0.3' }, json: { type: 'string' } } });
  if (!values.json) throw new CliError('--json <out.json> is required');
  const eps = Number(values.eps);
  if (!(eps > 0 && eps < 1)) throw new CliError(`--eps must be a number in (0, 1), got ${values.eps}`);
  const run = await loadModelRun(values);
  const { dir, model, bosPolicy, batchSize } = run;
  try {
    // neither --text nor --token-ids: the model's own evaluation set (the default model's held-out set)
    const defaultSet = values.text === undefined && values['token-ids'] === undefined ? await defaultDatasetInput(run) : undefined;
    const input = defaultSet ?? (await modelRunInput(values, run));
    if (defaultSet) info(`dataset ${defaultSet.dataset} (${defaultSet.why}; --text or --token-ids to choose)`);
    info(`model ${describeLocation(run.location)} (${model.arch.modelType}), engine ${model.engine} (${model.backend}), ${input.sequences.length} sequence(s), first token is BOS: ${input.firstIsBos}`);
    const settings = {
      eps,
      epsSweep: [eps],
      ks: [1],
      seqLenSweep: [],
      massiveTopK: 1,
      scoreNormalization: 'none' as const,
      entropy: { center: false, normalizeRows: false, renyiAlphas: [2] },
    };
    const lens = await LensHead.load(dir);
    const r = await measureModel(model, input.sequences, settings, {
      batchSize,
      onBatch: (done, total) => progress('measure', done, total, 'sequences'),
      lens,
    }).finally(() => lens.dispose());
    const attention = r.sinks.attentionResult();
    const finite = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
    const sink = r.sinks.sinkResult(eps);
    const norms = r.sinks.normResult();
    const massive = r.sinks.massiveResult();
    const entropy = r.entropy.result();
    const hooks = hiddenStateHooks(model.arch);
    const result = {
      model: dir,
      ...(run.location.kind === 'hub' ? { repo: run.location.repoId, revision: run.location.revision, commit: run.location.commit } : {}),
      input: input.source,
      modelType: model.arch.modelType,
      engine: model.engine,
      backend: model.backend,
      bosPolicy,
      firstTokenIsBos: input.firstIsBos,
      eps,
      seqLen: r.seqLen,
      sequences: r.sequences,
      sinkRate: sink.sinkRate,
      sinkRateOfMeanAlpha: sink.sinkRateOfMeanAlpha,
      heads: sink.perHead.meanAlpha,
      layers: sink.perLayer.rate.map((rate, j) => ({
        layer: r.attentionLayers[j],
        sinkRate: rate,
        meanAlpha: sink.perLayer.meanAlpha[j],
        mixingScore: finite(attention[j].mixing),
        identityScore: finite(attention[j].identity),
        prevTokenScore: finite(attention[j].prevToken),
        bosScore: finite(attention[j].bos),
      })),
      hiddenStates: norms.map((n, i) => ({
        index: i,
        hook: hooks[i],
        firstTokenNorm: n.firstTokenNorm,
        otherTokensMeanNorm: n.otherTokensMeanNorm,
        normRatio: n.normRatio,
        entropy: entropy[i].shannon.mean,
        entropyNormalized: entropy[i].shannonNormalized.mean,
        renyi2: entropy[i].renyi2.mean,
        entropyBound: entropy[i].bound?.mean ?? null,
        topActivation: massive[i].topActivation.value,
        // Theorem 1 (Queipo-de-Llano et al. 2025), means over sequences; meanCosine is the mean pairwise cosine
        bosSqNorm: finite(entropy[i].theorem1?.bosSqNorm?.mean),
        restSqNorm: finite(entropy[i].theorem1?.restSqNorm?.mean),
        alignment: finite(entropy[i].theorem1?.alignment?.mean),
        p1: finite(entropy[i].theorem1?.p1?.mean),
        p1Lower: finite(entropy[i].theorem1?.p1Lower?.mean),
        dominance: finite(entropy[i].theorem1?.dominance?.mean),
        dominanceLower: finite(entropy[i].theorem1?.dominanceLower?.mean),
        entropyUpper: finite(entropy[i].theorem1?.entropyUpper?.mean),
        meanCosine: finite(entropy[i].meanCosine?.includingBos?.mean),
        logitLensLoss: finite(r.logitLensLoss?.[i]),
      })),
    };
    mkdirSync(dirname(values.json), { recursive: true });
    const tmp = `${values.json}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(tmp, values.json);
    process.stdout.write(`Sink_1 (eps ${eps}) ${(100 * sink.sinkRate).toFixed(2)} % over ${r.sequences} sequence(s) (${input.source}); wrote ${values.json}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
