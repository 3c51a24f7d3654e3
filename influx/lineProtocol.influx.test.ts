// The escaping round-trips through a real InfluxDB: what toLine writes reads back as the input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rows } from './client.ts'
import { toLines } from './lineProtocol.ts'
import { bool, float, int, str, type Point } from './point.ts'
import { createTestDatabase, type TestDatabase } from '../test/harness/influxdb.ts'

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase('lineproto')
})
afterAll(async () => {
  await t?.drop()
})

const T0 = BigInt(Date.UTC(2026, 5, 1)) * 1_000_000n

describe('line protocol round trip', () => {
  it('tags, field keys, measurement names and strings read back unchanged', async () => {
    const awkward = ['a b', 'c,d=e', '梁溪 / 锡山', 'x\\y', 'tail space ', 'quote"s', "apos'"]
    const points: Point[] = awkward.map((tag, i) => ({
      measurement: 'rt, meas',
      tags: { 'site key': tag, empty: '', missing: undefined },
      fields: {
        'v=1,x y': int(i),
        s: str(`say "hi" C:\\dir\\, ${tag}`),
        f: float(i + 0.25),
        b: bool(i % 2 === 0)
      },
      timeNs: T0 + BigInt(i)
    }))
    const res = await t.client.write(toLines(points).join('\n'))
    expect(res).toEqual({ status: 204, body: '' })

    const [r] = await t.client.query('SELECT * FROM "rt, meas" ORDER BY time')
    expect(rows(r)).toEqual(
      points.map((p, i) => ({
        time: expect.any(String),
        'site key': awkward[i],
        'v=1,x y': i,
        s: (p.fields.s as { v: string }).v,
        f: i + 0.25,
        b: i % 2 === 0
      }))
    )
  })

  it('a newline in a string field reads back as backslash-n, and the line stays one point', async () => {
    const res = await t.client.write(
      toLines([{ measurement: 'rt_nl', tags: { site: 'a\nb' }, fields: { s: str('one\ntwo\r\n') }, timeNs: T0 }]).join(
        '\n'
      )
    )
    expect(res.status).toBe(204)
    const [r] = await t.client.query('SELECT * FROM rt_nl')
    expect(rows(r)).toEqual([{ time: expect.any(String), site: 'a b', s: 'one\\ntwo\\r\\n' }])
  })
})
