import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 64 * 1024;

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Last n lines of a log file ('' when missing). Reads only the file's end: task logs can be large. */
export function logTail(path: string, lines = 20): string {
  if (lines <= 0) return '';
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    let start = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let newlines = 0;
    // grow the window from the end until it holds n complete lines (+1 for a trailing newline) or the whole file
    while (start > 0 && newlines <= lines + 1) {
      const len = Math.min(CHUNK, start);
      start -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, start);
      chunks.unshift(buf);
      newlines += countNewlines(buf);
    }
    // decode once: a chunk boundary may split a multi-byte character
    const all = Buffer.concat(chunks).toString('utf8').replace(/\n+$/, '').split('\n');
    if (start > 0) all.shift(); // the window may begin mid-line
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
