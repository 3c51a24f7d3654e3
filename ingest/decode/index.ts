import type { Kind } from '../../contracts/device/index.ts'
import { fill } from './fill.ts'
import type { KindDecoder } from './kind.ts'
import { position } from './position.ts'
import { status } from './status.ts'
import { weighing } from './weighing.ts'

export const decoders: { readonly [K in Kind]: KindDecoder<K> } = { weighing, fill, position, status }
export type { FactBase, KindDecoder } from './kind.ts'
