// The map's search: a plate, a bin id or a site name, loosely (case and spaces ignored; a
// plate matches on any part, so "12345" finds 苏B12345). Trucks first, then bins, then sites.
import type { BinView, VehicleView } from '../../../../contracts/ops.ts'

export type Found =
  | { kind: 'vehicle'; item: VehicleView }
  | { kind: 'bin'; item: BinView }
  | { kind: 'site'; siteId: string; name: string }

const norm = (s: string): string => s.replace(/\s+/g, '').toLowerCase()

export function search(
  q: string,
  vehicles: Iterable<VehicleView>,
  bins: Iterable<BinView>,
  sites: Iterable<{ siteId: string; name: string }>
): Found | null {
  const n = norm(q)
  if (!n) return null
  let partial: Found | null = null
  for (const v of vehicles) {
    const p = norm(v.plate)
    if (p === n || norm(v.vehicleId) === n) return { kind: 'vehicle', item: v }
    if (!partial && p.includes(n)) partial = { kind: 'vehicle', item: v }
  }
  if (partial) return partial
  for (const b of bins) if (norm(b.binId) === n) return { kind: 'bin', item: b }
  for (const s of sites) if (norm(s.name).includes(n) || norm(s.siteId) === n) return { kind: 'site', ...s }
  return null
}
