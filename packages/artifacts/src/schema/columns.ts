import { Bool, type DataType, Field, Float32, Int32, Schema, Type, Utf8 } from 'apache-arrow';

/** The column types of the shared tables: float32 measurements, int32 indices, utf8 names, bool flags. */
export type ColumnType = 'float32' | 'int32' | 'utf8' | 'bool';

/** One declared column of an artifact kind. */
export interface ColumnSpec<N extends string = string, T extends ColumnType = ColumnType> {
  /** snake_case column name. */
  readonly name: N;
  readonly type: T;
  /** What the column holds (one line; shown in the README's schema tables). */
  readonly doc: string;
  /** For utf8 columns: the only values allowed (checked when a batch is built). */
  readonly allowed?: readonly string[];
}

/** The TypeScript value of one cell of a column type (NaN is a valid float32 cell). */
export type ColumnValue<T extends ColumnType> = T extends 'float32' | 'int32' ? number : T extends 'utf8' ? string : boolean;

/** What a whole column may be given as; plain arrays are converted (float32 rounds to nearest). */
export type ColumnInput<T extends ColumnType> = T extends 'float32'
  ? Float32Array | Float64Array | readonly number[]
  : T extends 'int32'
    ? Int32Array | readonly number[]
    : T extends 'utf8'
      ? readonly string[]
      : readonly boolean[];

/** Column declarations; the name's literal type flows into the row and column types of the kind. */
export const column = {
  float32: <const N extends string>(name: N, doc: string): ColumnSpec<N, 'float32'> => ({ name, type: 'float32', doc }),
  int32: <const N extends string>(name: N, doc: string): ColumnSpec<N, 'int32'> => ({ name, type: 'int32', doc }),
  utf8: <const N extends string>(name: N, doc: string, allowed?: readonly string[]): ColumnSpec<N, 'utf8'> =>
    allowed ? { name, type: 'utf8', doc, allowed } : { name, type: 'utf8', doc },
  bool: <const N extends string>(name: N, doc: string): ColumnSpec<N, 'bool'> => ({ name, type: 'bool', doc }),
};

/** The Arrow type of a column type. */
export function arrowType(type: ColumnType): DataType {
  switch (type) {
    case 'float32':
      return new Float32();
    case 'int32':
      return new Int32();
    case 'utf8':
      return new Utf8();
    case 'bool':
      return new Bool();
  }
}

/** The column type of an Arrow field, or undefined for types the column helpers do not build. */
export function columnTypeOf(type: DataType): ColumnType | undefined {
  switch (type.typeId) {
    case Type.Float:
      return (type as Float32).precision === new Float32().precision ? 'float32' : undefined;
    case Type.Int:
      return (type as Int32).bitWidth === 32 && (type as Int32).isSigned ? 'int32' : undefined;
    case Type.Utf8:
      return 'utf8';
    case Type.Bool:
      return 'bool';
    default:
      return undefined;
  }
}

/** A non-nullable Arrow field for a declared column (missing values are NaN or a sentinel, never null). */
export function arrowField(spec: ColumnSpec): Field {
  return new Field(spec.name, arrowType(spec.type), false);
}

/**
 * The Arrow schema of a step-internal kind given as `[name, type]` pairs (non-nullable fields; the
 * shared tables are declared with docs in kinds.ts instead).
 */
export function columnsSchema(columns: readonly (readonly [string, ColumnType])[]): Schema {
  return new Schema(columns.map(([name, type]) => new Field(name, arrowType(type), false)));
}
