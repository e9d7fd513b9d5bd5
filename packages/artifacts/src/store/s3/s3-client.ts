import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** How to reach the S3 API; everything not given comes from the standard AWS environment. */
export interface S3ConnectionOptions {
  /**
   * Endpoint of an S3-compatible server (MinIO, Ceph RGW, ...), e.g. `http://127.0.0.1:9000`.
   * Default `$AWS_ENDPOINT_URL_S3`, else `$AWS_ENDPOINT_URL`, else AWS itself.
   */
  readonly endpoint?: string;
  /** Region; default `$AWS_REGION`, else `$AWS_DEFAULT_REGION`, else `us-east-1`. */
  readonly region?: string;
  /**
   * Address buckets as `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>`.
   * Default true when an endpoint is set (what S3-compatible servers expect), false on AWS.
   */
  readonly forcePathStyle?: boolean;
  /**
   * The SDK's own transfer checksums (CRC on upload, checked on download). Default: the SDK's default
   * (`when-supported`) on AWS, `when-required` with a custom endpoint, since several S3-compatible
   * servers store the SDK's `aws-chunked` upload encoding verbatim. `$AWS_REQUEST_CHECKSUM_CALCULATION`
   * overrides the default. Every read is verified against the manifest's SHA-256 either way.
   */
  readonly checksums?: 'when-supported' | 'when-required';
  /**
   * A ready client (its own credentials, retries, proxy); the options above are then ignored.
   * Credentials otherwise come from the SDK's default provider chain: environment variables
   * (`AWS_ACCESS_KEY_ID`, ...), `AWS_PROFILE` and the shared config/credentials files, SSO, web
   * identity, container and instance metadata. The store never copies them anywhere.
   */
  readonly client?: S3Client;
}

/** Endpoint, region and addressing style as resolved from the options and the environment. */
export interface ResolvedS3Connection {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  readonly checksums: 'when-supported' | 'when-required' | undefined;
}

/** Resolve the options against the environment (`env` defaults to `process.env`). */
export function resolveS3Connection(options: S3ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedS3Connection {
  const endpoint = options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const region = options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const forcePathStyle = options.forcePathStyle ?? endpoint !== undefined;
  const checksums = options.checksums ?? (endpoint !== undefined && !env.AWS_REQUEST_CHECKSUM_CALCULATION ? 'when-required' : undefined);
  return { endpoint, region, forcePathStyle, checksums };
}

/** An endpoint for messages: scheme, host, port and path, never a user or password embedded in it. */
export function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable endpoint)';
  }
}

/**
 * A client for the resolved connection. The SDK is imported here, on first use, so importing
 * `@sinkscope/artifacts` does not pay for loading it (about 0.1 s) unless an S3 store is used.
 */
export async function createS3Client(connection: ResolvedS3Connection): Promise<S3Client> {
  const { S3Client: Client } = await import('@aws-sdk/client-s3');
  const config: S3ClientConfig = { region: connection.region, forcePathStyle: connection.forcePathStyle };
  if (connection.endpoint !== undefined) config.endpoint = connection.endpoint;
  if (connection.checksums === 'when-required') {
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new Client(config);
}
