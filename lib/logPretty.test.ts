import { describe, expect, it } from 'vitest'
import { prettyLine } from './logPretty.ts'

describe('readable log lines for a terminal', () => {
  it('puts time, level, component and message first, then the fields; leaves other text alone', () => {
    const at = new Date(2026, 11, 2, 9, 41, 7, 123).getTime()
    const line = JSON.stringify({
      level: 40,
      time: at,
      pid: 1,
      hostname: 'h',
      service: 'qingyun',
      component: 'demo',
      msg: 'publish failed',
      deviceId: 'wb-1',
      reason: 'two words'
    })
    expect(prettyLine(line, false)).toBe('09:41:07.123 WARN  [demo] publish failed  deviceId=wb-1 reason="two words"')
    expect(prettyLine(line, true)).toContain('\x1b[33mWARN \x1b[0m')
    expect(prettyLine('not json', false)).toBe('not json')
  })
})
