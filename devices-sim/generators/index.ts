// The dispatch table of generators, one module per kind (docs/conventions.md, rule 3).
import { fill } from './fill.ts'
import { position } from './position.ts'
import { status } from './status.ts'
import { weighing } from './weighing.ts'

export const generators = { weighing, fill, position, status } as const
export type { FillSample } from './fill.ts'
export type { StatusSample } from './status.ts'
export type { Generator, Stamp } from './types.ts'
export type { WeighingSample } from './weighing.ts'
export { localIso } from './stamp.ts'
