import { z } from 'zod'
import { Fill } from './fill.ts'
import { Position } from './position.ts'
import { Status } from './status.ts'
import { Weighing } from './weighing.ts'

export * from './common.ts'
export * from './fill.ts'
export * from './position.ts'
export * from './status.ts'
export * from './weighing.ts'

/** The wire contract's version; a change that breaks devices is v2 (docs/architecture.md, "Wire contract"). */
export const CONTRACT_VERSION = 'v1'

/** Message kinds and the schema of one object of each; adding a kind adds a row here. */
export const deviceMessages = { weighing: Weighing, fill: Fill, position: Position, status: Status } as const

export const Kind = z.enum(['weighing', 'fill', 'position', 'status'])
export type Kind = z.infer<typeof Kind>

export type DeviceMessage = { [K in Kind]: z.infer<(typeof deviceMessages)[K]> }

/** A payload holds one object or an array of up to this many (buffered data after an outage). */
export const MAX_BATCH = 500
