// Tables shown in the report: rows from an artifact (Arrow rows or plain objects) laid out as a
// grid of cells, capped in length so a large table does not swamp the page.

/** A table in the report. */
export interface ReportTable {
  title: string;
  /** `table.toArray()`, an Arrow Table, or plain objects. */
  rows: Iterable<object>;
  /** Columns in display order; default: every column, in first-seen order. */
  columns?: readonly string[];
  /** Rows shown at most (the rest are counted in a note); default 500. */
  maxRows?: number;
}

export interface TableGrid {
  title: string;
  columns: string[];
  cells: unknown[][];
  /** Rows in the source table (cells holds min(totalRows, maxRows)). */
  totalRows: number;
}

/** Arrow StructRow proxies serialise through toJSON(); plain objects are used as they are. */
function plain(row: object): Record<string, unknown> {
  const toJSON = (row as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON.call(row) as Record<string, unknown>) : (row as Record<string, unknown>);
}

export function tableGrid(table: ReportTable, index: number): TableGrid {
  const where = `writeReport: tables[${index}]`;
  if (typeof table?.title !== 'string' || table.title.trim() === '') throw new TypeError(`${where}.title must be a non-empty string`);
  if (table.rows === null || typeof (table.rows as Iterable<object>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`${where}.rows must be an iterable of row objects`);
  }
  const maxRows = table.maxRows ?? 500;
  if (!Number.isInteger(maxRows) || maxRows < 0) throw new RangeError(`${where}.maxRows must be a non-negative integer (got ${maxRows})`);
  const rows = [...table.rows].map((row, r) => {
    if (row === null || typeof row !== 'object') throw new TypeError(`${where}.rows[${r}] is not an object`);
    return plain(row);
  });
  const columns = table.columns ? [...table.columns] : [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return {
    title: table.title,
    columns,
    cells: rows.slice(0, maxRows).map((row) => columns.map((column) => row[column])),
    totalRows: rows.length,
  };
}
