import { MAX_BATCH } from '../contracts/device/index.ts'
import type { RejectionCode } from '../contracts/rejection.ts'

export type Split =
  | { readonly ok: true; readonly items: readonly unknown[]; readonly batch: boolean }
  | { readonly ok: false; readonly code: RejectionCode; readonly message: string }

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Nesting allowed in a payload. Valid v1 payloads nest 2 deep (a batch array of flat objects);
 * the limit only exists so that nothing downstream (JSON.parse, schema validation, excerpts,
 * JSON.stringify) ever recurses deep enough to overflow the stack on a hostile payload.
 */
export const DEFAULT_MAX_JSON_DEPTH = 32

/**
 * Deepest `[`/`{` nesting of a JSON text, scanning bytes (UTF-8 multi-byte sequences are all
 * ≥ 0x80, so they never look like brackets or quotes). Stops counting past `limit`. Brackets
 * inside strings are text. Linear, no allocation: safe to run before JSON.parse on any bytes.
 */
export function jsonDepthExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!
    if (inString) {
      if (c === 0x5c /* \ */) i++
      else if (c === 0x22 /* " */) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--
  }
  return false
}

/** Bytes → the objects a payload carries: one object, or an array of 1..500 (wire contract v1). */
export function splitPayload(
  payload: Uint8Array,
  maxPayloadBytes: number,
  maxJsonDepth = DEFAULT_MAX_JSON_DEPTH
): Split {
  if (payload.length > maxPayloadBytes) {
    return {
      ok: false,
      code: 'INGEST_E_TOO_LARGE',
      message: `payload is ${payload.length} bytes; the limit is ${maxPayloadBytes}`
    }
  }
  let text: string
  try {
    text = utf8.decode(payload)
  } catch {
    return { ok: false, code: 'INGEST_E_JSON', message: 'payload is not valid UTF-8' }
  }
  if (jsonDepthExceeds(payload, maxJsonDepth)) {
    const message = `payload nests arrays/objects deeper than the depth limit; the limit is ${maxJsonDepth}`
    return { ok: false, code: 'INGEST_E_JSON', message }
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
      return {
        ok: false,
        code: 'INGEST_E_SHAPE',
        message: `payload array has ${json.length} objects; the limit is ${MAX_BATCH}`
      }
    }
    return { ok: true, items: json, batch: true }
  }
  if (json === null || typeof json !== 'object') {
    return {
      ok: false,
      code: 'INGEST_E_SHAPE',
      message: `payload must be a JSON object or an array of objects, not ${json === null ? 'null' : typeof json}`
    }
  }
  return { ok: true, items: [json], batch: false }
}
