import v8 from 'node:v8'
import { describe, expect, it, vi } from 'vitest'
import { applyHeapGrowing } from './heap.ts'

describe('the heap growth the node sets', () => {
  it('sets the V8 flag, leaves V8 its own at 0, and yields to a flag the process was started with', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined)
    try {
      expect(applyHeapGrowing(20, ['--enable-source-maps'])).toBe(20)
      expect(set).toHaveBeenCalledWith('--heap-growing-percent=20')
      set.mockClear()
      expect(applyHeapGrowing(0, [])).toBeUndefined()
      expect(applyHeapGrowing(20, ['--heap-growing-percent=50'])).toBe('given')
      expect(applyHeapGrowing(20, ['--heap-growing-percent', '50'])).toBe('given')
      expect(set).not.toHaveBeenCalled()
    } finally {
      set.mockRestore()
    }
  })
})
