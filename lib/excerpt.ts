const decoder = new TextDecoder('utf-8', { fatal: false })

/** At most `maxBytes` bytes of UTF-8, never cutting a character in half. */
export function excerptBytes(input: Uint8Array | string, maxBytes = 1024): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  if (bytes.length <= maxBytes) return decoder.decode(bytes)
  let end = maxBytes
  // Back off continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
  return decoder.decode(bytes.subarray(0, end))
}
