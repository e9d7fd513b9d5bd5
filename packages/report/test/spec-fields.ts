// Checks that every field a spec's encodings and facets read exists in the data the view reads:
// the named dataset (a field must be in every row) or an output of a transform above the view.

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function datasetColumns(rows: unknown): Set<string> {
  if (!Array.isArray(rows) || rows.length === 0) return new Set();
  let common = new Set(Object.keys(rows[0] as Json));
  for (const row of rows) common = new Set([...common].filter((key) => key in (row as Json)));
  return common;
}

function transformOutputs(transforms: unknown): string[] {
  if (!Array.isArray(transforms)) return [];
  return transforms.flatMap((t: Json) => {
    const as = t.as;
    if (Array.isArray(as)) return as as string[];
    if (typeof as === 'string') return [as];
    if (Array.isArray(t.aggregate)) return (t.aggregate as Json[]).map((a) => a.as as string);
    if (Array.isArray(t.joinaggregate)) return (t.joinaggregate as Json[]).map((a) => a.as as string);
    if (Array.isArray(t.window)) return (t.window as Json[]).map((a) => a.as as string);
    return [];
  });
}

function channelFields(encoding: Json): string[] {
  return Object.values(encoding).flatMap((def) => {
    const defs = Array.isArray(def) ? def : [def];
    return defs.filter(isObject).flatMap((d) => (typeof d.field === 'string' ? [d.field] : []));
  });
}

function facetFields(facet: Json): string[] {
  if (typeof facet.field === 'string') return [facet.field];
  return ['row', 'column'].flatMap((k) => (isObject(facet[k]) && typeof (facet[k] as Json).field === 'string' ? [(facet[k] as Json).field as string] : []));
}

/** Problems as 'path: field x not in dataset y'; empty when every field resolves. */
export function missingFields(spec: Json): string[] {
  const datasets = (spec.datasets ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const visit = (node: Json, path: string, data: string | undefined, derived: ReadonlySet<string>, inlineRows?: unknown) => {
    const named = isObject(node.data) && typeof node.data.name === 'string' ? node.data.name : undefined;
    const rows = isObject(node.data) && Array.isArray(node.data.values) ? node.data.values : inlineRows;
    const dataName = named ?? data;
    const columns = rows !== undefined && named === undefined ? datasetColumns(rows) : datasetColumns(dataName === undefined ? [] : datasets[dataName]);
    if (named !== undefined && !(named in datasets)) problems.push(`${path || '/'}: data '${named}' is not in datasets`);
    const here = new Set([...derived, ...transformOutputs(node.transform)]);
    const check = (fields: string[]) => {
      for (const field of fields) {
        if (!columns.has(field) && !here.has(field)) problems.push(`${path || '/'}: field '${field}' not in dataset '${dataName ?? '(inline)'}'`);
      }
    };
    if (isObject(node.facet)) check(facetFields(node.facet));
    if (isObject(node.encoding)) check(channelFields(node.encoding));
    const nextRows = named === undefined ? rows : undefined;
    if (isObject(node.spec)) visit(node.spec, `${path}/spec`, dataName, here, nextRows);
    for (const key of ['layer', 'vconcat', 'hconcat', 'concat']) {
      const children = node[key];
      if (Array.isArray(children)) children.forEach((child, i) => visit(child as Json, `${path}/${key}/${i}`, dataName, here, nextRows));
    }
  };
  visit(spec, '', undefined, new Set());
  return problems;
}
