import { ARTIFACT_KINDS, type ArtifactKindSpec } from './kinds.js';

/**
 * Markdown tables of every shared kind, generated from the declarations so the README cannot drift
 * from the code (a test compares the README's section with this).
 */
export function renderKindsMarkdown(kinds: readonly ArtifactKindSpec[] = Object.values(ARTIFACT_KINDS)): string {
  return kinds.map(renderKind).join('\n');
}

function renderKind(spec: ArtifactKindSpec): string {
  const lines = [
    `### \`${spec.kind}\` (schema version ${spec.version})`,
    '',
    `One row per ${spec.rowPer}.`,
    '',
    '| column | type | holds |',
    '| --- | --- | --- |',
    ...spec.columns.map((c) => `| \`${c.name}\` | ${c.type} | ${escapeCell(c.doc)}${c.allowed ? ` (one of ${c.allowed.map((v) => `\`${v}\``).join(', ')})` : ''} |`),
    '',
    'Metadata besides the common keys:',
    '',
    ...Object.entries(spec.requiredMetadata).map(([k, doc]) => `- \`sinkscope.${k}\`: ${doc}`),
    '',
  ];
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
