/** Small statistics helpers: every figure in the table is a median over rounds. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function formatInteger(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

export function formatBytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  if (Math.abs(value) >= 10 * 1024) return `${(value / 1024).toFixed(0)} KiB`;
  return `${Math.round(value)} B`;
}

/** Rotates `items` by `round` so no candidate always runs first (or last) in a round. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** `+1.2 ms` / `−0.3 ms`: a difference, with its sign. */
export function signed(value: number, format: (value: number) => string): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value < 0 ? '−' : '+'}${format(Math.abs(value))}`;
}
