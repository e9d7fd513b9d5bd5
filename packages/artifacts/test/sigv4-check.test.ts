import { describe, expect, it } from 'vitest';
import { checkSigV4 } from './helpers/sigv4-check.js';

// AWS's published Signature Version 4 test suite, case "get-vanilla" (aws-sig-v4-test-suite).
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const vanilla = {
  method: 'GET',
  url: '/',
  headers: {
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', // sha256 of the empty body
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
};
const secretOf = (id: string) => (id === 'AKIDEXAMPLE' ? SECRET : undefined);

describe('the test server\'s SigV4 check', () => {
  it('accepts AWS\'s own example request', () => {
    expect(checkSigV4(vanilla, secretOf)).toBeUndefined();
  });

  it('refuses a wrong secret, an unknown key, a changed path, header or query, and no signature', () => {
    expect(checkSigV4(vanilla, () => 'wrong-secret')).toBe('the signature does not match');
    expect(checkSigV4(vanilla, () => undefined)).toBe('unknown access key AKIDEXAMPLE');
    expect(checkSigV4({ ...vanilla, url: '/other' }, secretOf)).toBe('the signature does not match');
    expect(checkSigV4({ ...vanilla, url: '/?a=b' }, secretOf)).toBe('the signature does not match');
    expect(checkSigV4({ ...vanilla, headers: { ...vanilla.headers, host: 'evil.example.com' } }, secretOf)).toBe('the signature does not match');
    expect(checkSigV4({ ...vanilla, headers: { ...vanilla.headers, authorization: undefined } }, secretOf)).toBe('no Authorization header');
  });
});
