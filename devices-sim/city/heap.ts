/** A binary min-heap on [t, a, b] tuples, compared in that order (ties broken deterministically). */
export type Entry = [t: number, a: number, b: number]

const less = (x: Entry, y: Entry): boolean =>
  x[0] < y[0] || (x[0] === y[0] && (x[1] < y[1] || (x[1] === y[1] && x[2] < y[2])))

export function createHeap() {
  const h: Entry[] = []
  return {
    get size() {
      return h.length
    },
    peek: (): Entry | undefined => h[0],
    push(e: Entry): void {
      h.push(e)
      for (let i = h.length - 1; i > 0;) {
        const p = (i - 1) >> 1
        if (!less(h[i]!, h[p]!)) break
        ;[h[i], h[p]] = [h[p]!, h[i]!]
        i = p
      }
    },
    pop(): Entry | undefined {
      const top = h[0]
      const last = h.pop()
      if (h.length > 0 && last) {
        h[0] = last
        for (let i = 0; ;) {
          const l = 2 * i + 1
          const r = l + 1
          let m = i
          if (l < h.length && less(h[l]!, h[m]!)) m = l
          if (r < h.length && less(h[r]!, h[m]!)) m = r
          if (m === i) break
          ;[h[i], h[m]] = [h[m]!, h[i]!]
          i = m
        }
      }
      return top
    }
  }
}
