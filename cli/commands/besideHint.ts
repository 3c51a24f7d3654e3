// The banner's line on running CLI commands beside a node. They find its registry and accounts
// through the same QINGYUN_DATA_DIR (and QINGYUN_REGISTRY / QINGYUN_USERS), resolved against
// their own working directory (README, "Configuration"); this line says exactly what to give
// them: absolute paths, so the command works from any directory.
import type { Config } from '../../lib/config.ts'

/** Variables a CLI command needs to find this node's files, with absolute values. */
export function besideEnv(
  env: Readonly<Record<string, string | undefined>>,
  config: Pick<Config, 'dataDir' | 'registryPath' | 'usersPath'>
): Record<string, string> {
  const out: Record<string, string> = { QINGYUN_DATA_DIR: config.dataDir }
  if (env.QINGYUN_REGISTRY) out.QINGYUN_REGISTRY = config.registryPath
  if (env.QINGYUN_USERS) out.QINGYUN_USERS = config.usersPath
  return out
}

export function besideHint(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  config: Pick<Config, 'dataDir' | 'registryPath' | 'usersPath'>
): string {
  const vars = Object.entries(besideEnv(env, config))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  // With every path at its default, the same directory is enough; otherwise (a data dir given
  // to this node) a command run from here without the variables would open ./data instead.
  const defaults = !env.QINGYUN_DATA_DIR && !env.QINGYUN_REGISTRY && !env.QINGYUN_USERS
  return defaults
    ? `run \`npx qingyun …\` from ${cwd}, or anywhere with ${vars}`
    : `run \`${vars} npx qingyun …\` (from any directory)`
}
