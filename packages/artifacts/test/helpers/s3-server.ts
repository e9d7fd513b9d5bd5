import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { checkSigV4 } from './sigv4-check.js';

/** The part of s3rver's Koa application this helper uses: its middleware list, run in order. */
interface KoaLike {
  middleware: ((ctx: { method: string; url: string; headers: Record<string, string | string[] | undefined>; status: number; type: string; body: unknown }, next: () => Promise<void>) => Promise<void>)[];
}

/** The credentials the test server accepts; the secret is distinctive so a test can search for leaks. */
export const TEST_ACCESS_KEY_ID = 'S3RVER';
export const TEST_SECRET = 'sinkscope-test-secret-7f3a9c1e-never-stored';
export const TEST_BUCKET = 'sinkscope-test';

/** An in-process S3-compatible server on 127.0.0.1, a random port and a fresh temp folder. */
export interface TestS3Server {
  readonly endpoint: string;
  readonly directory: string;
  /** Requests whose SigV4 signature was checked and matched, and those refused (403). */
  readonly signatures: { verified: number; rejected: number };
  close(): Promise<void>;
}

/** What a refused request gets: S3's own error document. */
function signatureError(reason: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method. (${reason})</Message></Error>`;
}

/** The part of s3rver's filesystem store this helper wraps. */
interface StoreLike {
  putObject(object: { bucket: string; key: string }): Promise<unknown>;
  getObject(bucket: string, key: string, options?: unknown): Promise<{ content: unknown } | null>;
}

/**
 * Real S3 replaces an object atomically: a GET sees the old object or the new one, whole. s3rver's
 * filesystem store rewrites the object file in place and keeps its length in a separate metadata file,
 * so under load a GET racing a PUT of the same key can read a truncated body. Serialise the two per key,
 * and read the body whole before the next PUT may start, so the tests see S3's semantics.
 */
function makeObjectsAtomic(store: StoreLike): void {
  const tails = new Map<string, Promise<unknown>>();
  const exclusive = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const result = (tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = result.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
  const put = store.putObject.bind(store);
  const get = store.getObject.bind(store);
  store.putObject = (object) => exclusive(`${object.bucket}/${object.key}`, () => put(object));
  store.getObject = (bucket, key, options) =>
    exclusive(`${bucket}/${key}`, async () => {
      const object = await get(bucket, key, options);
      if (object?.content instanceof Readable) {
        const chunks: Buffer[] = [];
        for await (const chunk of object.content) chunks.push(chunk as Buffer);
        object.content = Readable.from([Buffer.concat(chunks)]);
      }
      return object;
    });
}

export async function startS3Server(): Promise<TestS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'sinkscope-s3rver-'));
  // allowMismatchedSignatures: s3rver checks only V2 signatures, against its own secret; every
  // request is first checked here, as SigV4 with our (distinctive, searchable) secret
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, allowMismatchedSignatures: true, configureBuckets: [{ name: TEST_BUCKET }] });
  makeObjectsAtomic((server as unknown as { store: StoreLike }).store);
  const signatures = { verified: 0, rejected: 0 };
  (server as unknown as KoaLike).middleware.unshift(async (ctx, next) => {
    const problem = checkSigV4({ method: ctx.method, url: ctx.url, headers: ctx.headers }, (id) => (id === TEST_ACCESS_KEY_ID ? TEST_SECRET : undefined));
    if (problem !== undefined) {
      signatures.rejected += 1;
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = signatureError(problem);
      return;
    }
    signatures.verified += 1;
    await next();
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    signatures,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Point the AWS SDK's default provider chain at the test server through the standard variables,
 * as a user would; returns a function restoring the previous values.
 */
export function useTestAwsEnvironment(endpoint: string): () => void {
  const vars: Record<string, string> = {
    AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_SECRET,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const unset of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) {
    saved[unset] = process.env[unset];
    delete process.env[unset];
  }
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
