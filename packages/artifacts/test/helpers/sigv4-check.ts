// AWS Signature Version 4 checked on the server side, for the S3 tests: s3rver verifies only V2
// signatures (its V4 check is unimplemented: any signature passes), so the test server runs this
// first, written from AWS's specification (docs.aws.amazon.com/IAM/latest/UserGuide/
// create-signed-request.html) rather than from the SDK's signer. A request whose Authorization does
// not match the secret of its access key is answered 403 SignatureDoesNotMatch, as S3 does.
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

/** RFC 3986 percent-encoding, as SigV4 wants for query names and values. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignedRequest {
  readonly method: string;
  /** The request target as sent: path and raw query string. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** Why the request's SigV4 signature is not the one `secretOf(accessKeyId)` gives, or undefined when it is. */
export function checkSigV4(req: SignedRequest, secretOf: (accessKeyId: string) => string | undefined): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string') return 'no Authorization header';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `not a SigV4 Authorization header: ${auth.slice(0, 40)}`;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  const secret = secretOf(accessKeyId);
  if (secret === undefined) return `unknown access key ${accessKeyId}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return `x-amz-date ${amzDate} is not of the credential date ${date}`;

  const [path, query = ''] = req.url.split('?', 2);
  const canonicalQuery = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const [k, v = ''] = p.split('=', 2);
      return [encode(decodeURIComponent(k.replace(/\+/g, '%20'))), encode(decodeURIComponent(v.replace(/\+/g, '%20')))];
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  // S3 signs the path as sent (already URI-encoded once, never normalised)
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = hmac(key, stringToSign).toString('hex');
  return expected === signature ? undefined : 'the signature does not match';
}
