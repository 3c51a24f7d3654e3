/** Tonnes rounded to the kilogram (contracts/ops.ts). */
export const tonnes = (kg: number): number => Math.round(kg) / 1000
/** n / d × 100 rounded to 0.1; null when d is 0. */
export const pct = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 1000) / 10)
