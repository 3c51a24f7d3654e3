import type { Fact } from '../../contracts/facts.ts'
import type { Point } from '../point.ts'
import { conflictFact, conflictPoint } from './conflict.ts'
import { duplicateFact, duplicatePoint } from './duplicate.ts'
import { fillFact, fillPoint } from './fill.ts'
import { MEASUREMENT } from './names.ts'
import { positionFact, positionPoint } from './position.ts'
import { rejectionFact, rejectionPoint } from './rejection.ts'
import type { Row } from './row.ts'
import { statusFact, statusPoint } from './status.ts'
import { weighingFact, weighingPoint } from './weighing.ts'

type PointOf = { readonly [K in Fact['kind']]: (f: Extract<Fact, { kind: K }>) => Point }

const mappers: PointOf = {
  weighing: weighingPoint,
  fill: fillPoint,
  position: positionPoint,
  status: statusPoint,
  rejection: rejectionPoint,
  duplicate: duplicatePoint,
  conflict: conflictPoint
}

/** Fact → InfluxDB point (schema documented in influx/schema/README.md). */
export function toPoint(fact: Fact): Point {
  return (mappers[fact.kind] as (f: Fact) => Point)(fact)
}

/** The measurements that hold facts. */
export type FactMeasurement = (typeof MEASUREMENT)[Fact['kind']]

/** Row of a fact measurement (with `time` in epoch ms) → the fact. The sub-ms offset of its time is not kept. */
export const rowToFact: { readonly [M in FactMeasurement]: (r: Row) => Fact } = {
  [MEASUREMENT.weighing]: weighingFact,
  [MEASUREMENT.fill]: fillFact,
  [MEASUREMENT.position]: positionFact,
  [MEASUREMENT.status]: statusFact,
  [MEASUREMENT.rejection]: rejectionFact,
  [MEASUREMENT.duplicate]: duplicateFact,
  [MEASUREMENT.conflict]: conflictFact
}

/** Records stamped with their arrival time and counted on the event day of the data (`event_ms`). */
export const REPEAT_MEASUREMENTS = [
  MEASUREMENT.duplicate,
  MEASUREMENT.conflict
] as const satisfies readonly FactMeasurement[]
export const DATA_MEASUREMENTS = [
  MEASUREMENT.weighing,
  MEASUREMENT.fill,
  MEASUREMENT.position,
  MEASUREMENT.status,
  MEASUREMENT.rejection
] as const satisfies readonly FactMeasurement[]
