/** Activations as this package accepts them: row-major, float32 as produced by a model or float64. */
export type Activations = Float32Array | Float64Array;

/** Throws unless `value` is an integer >= `min`; `what` names the argument in the message. */
export function requireInt(what: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
  }
}

/** Throws unless `data` holds exactly the number of values its declared shape needs. */
export function requireShape(what: string, data: ArrayLike<number>, shape: Record<string, number>): void {
  const expected = Object.values(shape).reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    const dims = Object.entries(shape)
      .map(([name, size]) => `${name}=${size}`)
      .join(', ');
    throw new RangeError(`${what} has ${data.length} values but shape [${dims}] needs ${expected}`);
  }
}

/** Throws unless every value is a finite number. */
export function requireFiniteList(what: string, values: readonly number[]): void {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`${what}[${i}] must be a finite number, got ${v}`);
  });
}
