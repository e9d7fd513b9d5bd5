export { useBackend, type BackendName } from './engine/backend.js';
export {
  DEFAULT_MODEL_CONFIG,
  GPT2_VARIANT,
  fromHfConfig,
  innerWidth,
  isGpt2,
  normaliseModelConfig,
  toHfConfig,
  type Activation,
  type AttentionKind,
  type KvBias,
  type ModelConfig,
  type NormKind,
  type NormPlacement,
  type PositionEncoding,
} from './model/config.js';
export { disposeParams, initParams, numParameters, parameterSpecs, paramValues, type ModelParams, type ParamSpec } from './model/params.js';
export { archOf } from './model/config.js';
export { forward, languageModelLoss, type CaptureOptions, type ForwardResult } from './model/tfjs-forward.js';
export { fixedPositionTable, trainerWeights, type WeightHandles } from './model/weights.js';
export { fromHfTensors, loadModelFolder, loadModelValues, saveModelFolder, saveModelValues, toHfTensors, type SaveModelOptions } from './model/checkpoint.js';
export { BOS_TOKEN, symbolName, tokenizerConfigJson, wordLevelTokenizerJson } from './model/tokenizer.js';
export { AdamW, DEFAULT_ADAMW, PARAM_GROUPS, paramGroup, weightDecayOf, type AdamWConfig, type AdamWState, type ParamGroupName } from './optim/adamw.js';
export { learningRateAt, type ScheduleConfig } from './optim/schedule.js';
export { evaluate, EvalAccumulator, EVAL_SINK_EPS, evalRows, lossWeights, type EvalChunk, type EvalRecord, type EvalSet } from './eval/evaluate.js';
export { normaliseTrainConfig, TRAIN_ENGINES, type RowPolicyConfig, type BackcopyDataConfig, type TrainConfig, type TrainConfigInput, type TrainEngine } from './training/config.js';
export { applyFirstTokenPolicy, applyFixedToken, type FirstTokenPolicy } from './training/first-token.js';
export { Trainer, type StepResult } from './training/trainer.js';
export { hasCheckpoint, loadCheckpoint, openCheckpoint, readCheckpoint, saveCheckpoint, RESUME_DIR, type CheckpointSource, type RunState } from './training/checkpoint-state.js';
export { createTrainingEngine, type TrainingEngine } from './training/engine.js';
export { OnnxTrainer, type OnnxTrainerOptions, type TrainerInit } from './onnx/onnx-trainer.js';
export { appendBackward, GradContext, type BackwardRequest, type FloatType, type GatherGradient, type GradRule } from './onnx/autodiff.js';
export { GRAD_RULES } from './onnx/grad-rules.js';
export { buildTrainingGraph, traceTrainingForward, type TrainingGraph, type TracedForward } from './onnx/training-graph.js';
export { runTraining, type RunOptions, type RunSummary } from './training/run.js';
export { readRunInfo, runInfoOf, RUN_INFO_FILE, type RunInfo } from './training/run-info.js';
export { mergeConfig, readSweepSpec, resultsTable, runSweep, type SweepResult, type SweepSpec, type SweepVariant } from './sweep/sweep.js';
export { numOrdinaryOf, type DataConfig, type TextDataConfig } from './training/config.js';
export { createTrainingData, dataSummary, type TrainingData } from './data/training-data.js';
export { TEXT_CORPORA, corpusBytes, textHeldOutSet, textTrainingBatch, type TextCorpus } from './data/text-source.js';
export { byteLevelTokenizerConfigJson, byteLevelTokenizerJson, byteToUnicode } from './model/tokenizer.js';
