/** Coalesce calls to one per animation frame, however many deltas arrive in between. */
export function frameThrottle(fn: () => void): () => void {
  let queued = false
  return () => {
    if (queued) return
    queued = true
    requestAnimationFrame(() => {
      queued = false
      fn()
    })
  }
}
