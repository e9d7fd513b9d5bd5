// A separate process rewriting one key of an S3 store, for the cross-process test. Endpoint and
// credentials come from the inherited AWS_* environment, as for any user.
// Usage: node --import tsx s3-child-writer.ts <bucket> <prefix> <key> <writerId> <iterations>
import { ArtifactStore, S3Backend } from '../../src/index.js';
import { rewriteLoop } from './store-fixtures.js';

const [bucket, prefix, key, writerId, iterations] = process.argv.slice(2);
const store = new ArtifactStore({ backend: new S3Backend({ bucket, prefix }) });
await rewriteLoop(store, key, Number(writerId), Number(iterations));
process.stdout.write('done\n');
