import type { FileHandle } from 'node:fs/promises';

/** Which artifact: its kind (folder) and its key (SHA-256 hex of its inputs). */
export interface ArtifactRef {
  readonly kind: string;
  readonly key: string;
}

/** A write in progress: the local file the data is streamed into, before it is published. */
export interface StagedArtifact {
  readonly ref: ArtifactRef;
  /** Local path the writer creates and fills (exclusive to this writer). */
  readonly dataPath: string;
}

/**
 * Identity of the stored pair as the backend last saw it (local: inode, size and mtime of both files;
 * S3: the two ETags). Two reads with equal versions saw the same bytes.
 */
export type ArtifactVersion = string;

/** What `get` found. */
export type StoredArtifact =
  | { readonly state: 'absent' }
  /** Only one of the two files: an interrupted publish, a deleted manifest, a half-removed artifact. */
  | { readonly state: 'partial'; readonly missing: 'data' | 'manifest'; readonly location: string; readonly version: ArtifactVersion }
  | {
      readonly state: 'present';
      readonly manifestText: string;
      /** Open handle on the data bytes that go with `manifestText`; the caller closes it. */
      readonly data: FileHandle;
      /** Where the data lives, for messages (a path, or a URL for remote backends). */
      readonly dataLocation: string;
      readonly manifestLocation: string;
      readonly version: ArtifactVersion;
    };

/** Sizes of the stored files (undefined where a file is missing). */
export interface ArtifactStat {
  readonly dataBytes: number | undefined;
  readonly manifestBytes: number | undefined;
  readonly modified: Date | undefined;
}

/**
 * Where artifacts live. The store does the hashing, the verification and the Arrow work; a backend
 * only moves whole files, so a shared-filesystem or an S3-compatible backend can replace the local one
 * without any caller changing. A backend guarantees:
 *
 * - `put` publishes data and manifest as one artifact. A reader may catch a publish half-way (new data,
 *   old manifest): the store then sees a mismatch, `delete` with `ifVersion` refuses to remove the
 *   new pair, and the store looks again;
 * - concurrent `put`s of one key leave one complete pair (the last one published);
 * - a crash at any point leaves nothing visible but either nothing or a complete pair (a stray staged
 *   file or a data file without manifest is invisible to readers and cleaned later);
 * - `get` returns a handle on bytes that cannot change under the reader (local: the open inode; S3: a
 *   private downloaded copy), so what the store verified is what it parses.
 */
export interface StoreBackend {
  /** One line naming the backend and its location, for messages. */
  readonly description: string;
  /** Begin a write: a fresh local file for the data. Cleans stray staged files of this key left by dead writers. */
  stage(ref: ArtifactRef): Promise<StagedArtifact>;
  /** Abandon a staged write (the producer failed): remove what it left. */
  discard(staged: StagedArtifact): Promise<void>;
  /** Publish the finished (fsynced) data file and its manifest text as one artifact, replacing any existing one. */
  put(staged: StagedArtifact, manifestText: string): Promise<void>;
  /** Open the artifact for reading. */
  get(ref: ArtifactRef): Promise<StoredArtifact>;
  /** Sizes of the stored files, without opening them. */
  stat(ref: ArtifactRef): Promise<ArtifactStat>;
  /**
   * Remove the artifact (both files). With `ifVersion`, only if it is still the pair that was seen
   * (so a reader removing a corrupt artifact never removes a fresh one published meanwhile).
   * Returns whether anything was removed.
   */
  delete(ref: ArtifactRef, options?: { readonly ifVersion?: ArtifactVersion }): Promise<boolean>;
  /** Every artifact with a manifest (of one kind, if given), in no particular order. */
  list(kind?: string): AsyncIterable<ArtifactRef>;
  /** Remove stray staged files and stale locks left by dead writers; returns what was removed. */
  sweep(): Promise<string[]>;
}
