// Small readers for Vega's SVG output: mark groups, their items' attributes, line points.

export type Attributes = Record<string, string>;

function attributes(tag: string): Attributes {
  const out: Attributes = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/**
 * Items of every `<g class="mark-<type> role-mark ...">` group, one array per group (a facet or
 * concat view has its own group). Vega writes each item as a self-closing <path .../> (rect, line,
 * area, rule as <line>, symbol as <path>).
 */
export function markGroups(svg: string, markType: string, itemTag = 'path'): Attributes[][] {
  const groups: Attributes[][] = [];
  const open = new RegExp(`<g class="mark-${markType} role-mark[^"]*"[^>]*>`, 'g');
  for (const m of svg.matchAll(open)) {
    const start = (m.index ?? 0) + m[0].length;
    const end = svg.indexOf('</g>', start);
    const body = svg.slice(start, end);
    groups.push([...body.matchAll(new RegExp(`<${itemTag}\\b[^>]*>`, 'g'))].map((t) => attributes(t[0])));
  }
  return groups;
}

/** Vertices of a line path 'M x,y L x,y ...'. */
export function linePoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML]\s*(-?[\d.]+(?:e-?\d+)?)[ ,](-?[\d.]+(?:e-?\d+)?)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Top-left corner of a rect path 'M x,y h w v h h -w Z'. */
export function rectOrigin(d: string): [number, number] {
  const m = /^M\s*(-?[\d.]+)[ ,](-?[\d.]+)/.exec(d);
  if (!m) throw new Error(`not a rect path: ${d}`);
  return [Number(m[1]), Number(m[2])];
}

/** Width and height attributes of the root <svg>. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = attributes(/<svg\b[^>]*>/.exec(svg)![0]);
  return { width: Number(root.width), height: Number(root.height) };
}
