import type { Change } from '../model/types.ts'

export interface FoldResult {
  /** What changed (the websocket layer re-reads these views). */
  readonly changes: readonly Change[]
  /** The fact belongs to a day before today: the opening stock moved. */
  readonly pastDay?: boolean
}
