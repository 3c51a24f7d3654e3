import { describe, expect, it } from 'vitest'
import { factsTopic, filterMatchesFacts, parseDeviceTopic } from './topics.ts'

describe('filterMatchesFacts', () => {
  it.each([
    '$qingyun/v1/facts/#',
    '$qingyun/v1/facts/+',
    '$qingyun/v1/facts/bin-0001',
    '$qingyun/#',
    '$qingyun/+/facts/#',
    '$qingyun/v1/+/+'
  ])('%s can match a facts topic', (filter) => expect(filterMatchesFacts(filter)).toBe(true))

  it.each([
    '#', // '#' and '+' first never match a '$' topic [MQTT-4.7.2-1]
    '+/v1/facts/x',
    '$qingyun/v1/facts',
    '$qingyun/v1/facts/',
    '$qingyun/v1/facts/x/y',
    '$qingyun/v2/facts/#',
    'v1/devices/#',
    'qingyun/v1/facts/#'
  ])('%s cannot', (filter) => expect(filterMatchesFacts(filter)).toBe(false))

  it('agrees with the topic it guards', () => {
    expect(factsTopic('bin-0001')).toBe('$qingyun/v1/facts/bin-0001')
    expect(parseDeviceTopic(factsTopic('bin-0001')).ok).toBe(false)
  })
})
