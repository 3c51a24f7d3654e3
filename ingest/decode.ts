import { MAX_BATCH } from '../contracts/device/index.ts'
import type { RejectionCode } from '../contracts/rejection.ts'

export type Split =
  | { readonly ok: true; readonly items: readonly unknown[]; readonly batch: boolean }
  | { readonly ok: false; readonly code: RejectionCode; readonly message: string }

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Bytes → the objects a payload carries: one object, or an array of 1..500 (wire contract v1). */
export function splitPayload(payload: Uint8Array, maxPayloadBytes: number): Split {
  if (payload.length > maxPayloadBytes) {
    return { ok: false, code: 'INGEST_E_TOO_LARGE', message: `payload is ${payload.length} bytes; the limit is ${maxPayloadBytes}` }
  }
  let text: string
  try {
    text = utf8.decode(payload)
  } catch {
    return { ok: false, code: 'INGEST_E_JSON', message: 'payload is not valid UTF-8' }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return { ok: false, code: 'INGEST_E_JSON', message: `payload is not JSON: ${(err as Error).message}` }
  }
  if (Array.isArray(json)) {
    if (json.length === 0) return { ok: false, code: 'INGEST_E_SHAPE', message: 'payload is an empty array' }
    if (json.length > MAX_BATCH) {
      return { ok: false, code: 'INGEST_E_SHAPE', message: `payload array has ${json.length} objects; the limit is ${MAX_BATCH}` }
    }
    return { ok: true, items: json, batch: true }
  }
  if (json === null || typeof json !== 'object') {
    return { ok: false, code: 'INGEST_E_SHAPE', message: `payload must be a JSON object or an array of objects, not ${json === null ? 'null' : typeof json}` }
  }
  return { ok: true, items: [json], batch: false }
}
