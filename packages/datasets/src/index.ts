export { BOS_POLICIES } from './bos-policy.js';
export type { BosPolicy } from './bos-policy.js';
export type { EvalTokenizer, VocabInfo } from './eval-tokenizer.js';
export { buildEvalSet } from './build.js';
export type { BuildOptions, EvalSet, SequenceOrigin } from './build.js';
export { SeededRandom } from './random.js';
export { sha256OfParts, sha256OfSequences } from './hash.js';
export { BROWN_CATEGORIES, SOTU_PARTIES, SOURCE_KINDS, datasetSpecSchema, sourceSpecSchema } from './schema/dataset-schema.js';
export type { DatasetSpec, DatasetSpecInput, SourceKind, SourceSpec, SourceSpecOf } from './schema/dataset-schema.js';
export { SHIPPED_DATASETS_DIR, loadDatasetSpec, parseDatasetSpec, resolveDatasetSpec } from './schema/load.js';
export { datasetSpecJsonSchema } from './schema/json-schema.js';
export type { Corpus, CorpusDocument } from './sources/corpus.js';
export { SOURCES, loadCorpus } from './sources/registry.js';
export { detokenizeBrown } from './sources/brown.js';
export { selectWindows } from './windows.js';
export type { CorpusWindow, WindowOptions } from './windows.js';
// The bigram back-copy task (written by the training engineer), re-exported for the train package.
export * from './synthetic/backcopy.js';
export {
  loadMultipleChoiceSet,
  loadLabelledSet,
  type MultipleChoiceItem,
  type MultipleChoiceSet,
  type LabelledExample,
  type LabelledSet,
  type TaskChoice,
  type TaskBuildOptions,
} from './tasks/task-sets.js';
export { backcopyChoiceItems, backcopyLabelledExamples, type BackcopyTaskOptions } from './tasks/backcopy-tasks.js';
