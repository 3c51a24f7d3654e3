import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../lib/config.ts'
import { besideEnv, besideHint } from './besideHint.ts'

// The banner's "CLI beside it" line: what it tells the user to give a CLI command must make that
// command open the node's own registry and accounts, from whatever directory it is run.
const NODE_CWD = '/srv/qingyun'
const OTHER_CWD = '/home/ops'

const paths = (env: Record<string, string>, cwd: string) => {
  const c = parseConfig(env, cwd)
  return { dataDir: c.dataDir, registryPath: c.registryPath, usersPath: c.usersPath }
}

describe('besideHint', () => {
  const setups: Record<string, string>[] = [
    {},
    { QINGYUN_DATA_DIR: '/var/lib/qingyun' },
    { QINGYUN_DATA_DIR: 'state' },
    { QINGYUN_DATA_DIR: '/var/lib/qingyun', QINGYUN_REGISTRY: 'conf/registry.json', QINGYUN_USERS: '/etc/q/users.json' }
  ]
  it.each(setups)('the variables it names lead a command elsewhere to the same files (%o)', (env) => {
    const node = paths(env, NODE_CWD)
    expect(paths(besideEnv(env, node), OTHER_CWD)).toEqual(node)
  })

  it('says "from this directory" only when every path is the default', () => {
    const dflt = paths({}, NODE_CWD)
    expect(besideHint({}, NODE_CWD, dflt)).toBe(
      `run \`npx qingyun …\` from ${NODE_CWD}, or anywhere with QINGYUN_DATA_DIR=${path.join(NODE_CWD, 'data')}`
    )
    // A node given its data dir: the same directory without the variable would open ./data.
    const env = { QINGYUN_DATA_DIR: '/var/lib/qingyun' }
    const hint = besideHint(env, NODE_CWD, paths(env, NODE_CWD))
    expect(hint).not.toContain(`from ${NODE_CWD}`)
    expect(hint).toBe('run `QINGYUN_DATA_DIR=/var/lib/qingyun npx qingyun …` (from any directory)')
    const all = setups[3]!
    expect(besideHint(all, NODE_CWD, paths(all, NODE_CWD))).toContain(
      'QINGYUN_REGISTRY=/srv/qingyun/conf/registry.json QINGYUN_USERS=/etc/q/users.json'
    )
  })
})
