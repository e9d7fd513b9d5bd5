// A separate process writing artifacts, for the crash and cross-process concurrency tests.
// Usage: node --import tsx child-writer.ts <root> crash <key>
//        node --import tsx child-writer.ts <root> loop <key> <writerId> <iterations>
import { ArtifactStore, LAYERS } from '../../src/index.js';
import { layersColumns, layersMetadata, rewriteLoop } from './store-fixtures.js';

const [root, mode, key, writerId, iterations] = process.argv.slice(2);
const store = new ArtifactStore({ root });

if (mode === 'crash') {
  // Append forever; the parent kills this process (SIGKILL) mid-write.
  await store.write('layers', key, LAYERS.schema, layersMetadata(), async (w) => {
    for (let i = 0; ; i++) {
      w.append(layersColumns(100, i));
      if (i === 5) process.stdout.write('appended\n');
      await new Promise((r) => setTimeout(r, 2));
    }
  });
} else if (mode === 'loop') {
  await rewriteLoop(store, key, Number(writerId), Number(iterations));
  process.stdout.write('done\n');
} else {
  throw new Error(`child-writer: unknown mode ${mode}`);
}
