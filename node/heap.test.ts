import v8 from 'node:v8'
import { describe, expect, it, vi } from 'vitest'
import { applyHeapGrowing, NODE_START_FLAGS, SEMI_SPACE_MIB, semiSpaceGiven } from './heap.ts'

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

describe('the young generation the node was started with', () => {
  it('reads --max-semi-space-size from the flags or NODE_OPTIONS, in either spelling', () => {
    expect(semiSpaceGiven([], '')).toBeUndefined()
    expect(semiSpaceGiven(['--max-semi-space-size=64'], '')).toBe(64)
    expect(semiSpaceGiven(['--max-semi-space-size', '32'], '')).toBe(32)
    expect(semiSpaceGiven([], '--enable-source-maps --max_semi_space_size=48')).toBe(48)
    expect(semiSpaceGiven(['--max-old-space-size=512'], '')).toBeUndefined()
    expect(semiSpaceGiven(['--max-semi-space-size=oops'], '')).toBeUndefined()
  })
  it('is what NODE_START_FLAGS give', () => {
    expect(semiSpaceGiven(NODE_START_FLAGS, '')).toBe(SEMI_SPACE_MIB)
  })
})
