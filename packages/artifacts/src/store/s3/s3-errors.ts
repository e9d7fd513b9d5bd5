/** Status and name of an SDK error, for telling "absent" and "precondition failed" from real failures. */
function statusOf(err: unknown): { status: number | undefined; name: string } {
  const e = err as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  return { status: e?.$metadata?.httpStatusCode, name: String(e?.name ?? e?.Code ?? '') };
}

/** The object (or key) does not exist. */
export function isNotFound(err: unknown): boolean {
  const { status, name } = statusOf(err);
  return status === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** A conditional request's precondition (If-Match) did not hold. */
export function isPreconditionFailed(err: unknown): boolean {
  const { status, name } = statusOf(err);
  return status === 412 || name === 'PreconditionFailed';
}

/** The server does not implement the operation or header (S3-compatible servers vary). */
export function isNotImplemented(err: unknown): boolean {
  const { status, name } = statusOf(err);
  return status === 501 || name === 'NotImplemented';
}

/** One line describing an SDK error: name, message and HTTP status; never request headers or credentials. */
export function describeS3Error(err: unknown): string {
  const { status, name } = statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return `${name || 'Error'}${status !== undefined ? ` (HTTP ${status})` : ''}: ${message}`;
}

/** A connection reset or aborted while a body was streaming (no HTTP status: the response had begun). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; $metadata?: unknown } | undefined;
  if (e?.$metadata !== undefined) return false;
  return ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(String(e?.code)) || e?.message === 'aborted';
}
