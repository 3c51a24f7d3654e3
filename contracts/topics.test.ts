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

describe('parseDeviceTopic', () => {
  it('takes v1/devices/{deviceId}/{kind} apart', () => {
    expect(parseDeviceTopic('v1/devices/bin-0001/fill')).toEqual({ ok: true, deviceId: 'bin-0001', kind: 'fill' })
    expect(parseDeviceTopic('v1/devices/wb-1/weighing')).toEqual({ ok: true, deviceId: 'wb-1', kind: 'weighing' })
  })

  it.each([
    ['x/devices/a/fill', 'topic must start with v1/devices/'],
    ['v1/devices/a', 'topic must be v1/devices/{deviceId}/{kind}'],
    ['v1/devices//fill', 'topic must be v1/devices/{deviceId}/{kind}'],
    ['v1/devices/a/', 'topic must be v1/devices/{deviceId}/{kind}'],
    ['v1/devices/a/fill/x', 'topic must be v1/devices/{deviceId}/{kind}']
  ])('%s: %s', (topic, reason) => expect(parseDeviceTopic(topic)).toEqual({ ok: false, reason }))

  it('names the device and the kinds it knows when the kind is unknown', () => {
    const r = parseDeviceTopic('v1/devices/a/temperature')
    expect(r).toMatchObject({ ok: false, deviceId: 'a' })
    expect(!r.ok && r.reason).toMatch(/^unknown kind "temperature"; expected one of .*fill/)
  })
})
