import type { Fact } from '../../contracts/facts.ts'
import type { Point } from '../../influx/point.ts'
import { conflictPoint } from './conflict.ts'
import { duplicatePoint } from './duplicate.ts'
import { fillPoint } from './fill.ts'
import { positionPoint } from './position.ts'
import { rejectionPoint } from './rejection.ts'
import { statusPoint } from './status.ts'
import { weighingPoint } from './weighing.ts'

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

/** Fact → InfluxDB point (schema documented in ingest/SCHEMA.md). */
export function toPoint(fact: Fact): Point {
  return (mappers[fact.kind] as (f: Fact) => Point)(fact)
}
