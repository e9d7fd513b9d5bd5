// A separate process rewriting one key of an S3 store, for the cross-process test. Endpoint and
// credentials come from the inherited AWS_* environment, as for any user.
// Usage: node --import tsx s3-child-writer.ts <bucket> <prefix> <key> <writerId> <iterations>
import { ArtifactStore, LAYERS, S3Backend } from '../../src/index.js';
import { layersColumns, layersMetadata } from './store-fixtures.js';

const [bucket, prefix, key, writerId, iterations] = process.argv.slice(2);
const store = new ArtifactStore({ backend: new S3Backend({ bucket, prefix }) });
for (let i = 0; i < Number(iterations); i++) {
  const tag = Number(writerId) * 1000 + i;
  await store.write('layers', key, LAYERS.schema, layersMetadata({ tag }), (w) => {
    w.append(layersColumns(40, tag, `writer-${tag}`));
    w.append(layersColumns(40, tag, `writer-${tag}`));
  });
}
process.stdout.write('done\n');
