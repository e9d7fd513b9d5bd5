// The back-copy generator lives in @sinkscope/datasets (src/synthetic/backcopy.ts); this file is the
// one place the train package names it.
export {
  BACKCOPY_HELD_OUT_SEED,
  BACKCOPY_SEQUENCE_LENGTH,
  FIRST_TOKEN_STREAM,
  SeededRandom,
  backcopyHeldOutSet,
  backcopyTrainingBatch,
  createBackcopyWorld,
  heldOutFirstTokenSeedWords,
  type BackcopyBatch,
  type BackcopyWorld,
  type BackcopyWorldOptions,
} from '@sinkscope/datasets';
