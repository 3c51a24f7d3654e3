// First-start seeding: a fresh install gets the synthetic sample with a new random token for
// every device, so the simulator can connect without anyone running `devices add` 2,776 times.
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Credentials } from '../contracts/registry.ts'
import type { Registry } from '../contracts/registry.ts'
import { writeFileAtomic } from '../lib/atomic.ts'
import { createRegistry } from './edit.ts'
import { CredentialsError } from './errors.ts'
import { loadRegistry } from './load.ts'
import type { LockOptions } from './lock.ts'
import { DEVICE_TOKEN_PREFIX, generateToken, hashToken } from './tokens.ts'

export interface SeedOptions {
  samplePath: string
  registryPath: string
  /** Where the device tokens go, `{ "deviceId": "token" }`, mode 0600. */
  credentialsPath: string
  lock?: LockOptions
}

/** Issues a token to every device; returns the registry to store and the tokens to hand out. */
export function issueDeviceTokens(registry: Registry): { registry: Registry; credentials: Credentials } {
  const credentials: Credentials = {}
  const devices = registry.devices.map((d) => {
    const token = generateToken(DEVICE_TOKEN_PREFIX)
    credentials[d.id] = token
    return { ...d, tokenHash: hashToken(token), enabled: true }
  })
  return { registry: { ...registry, devices }, credentials }
}

/**
 * Creates `registryPath` from the sample when it does not exist yet; an existing registry is
 * never touched. Returns whether it seeded. Both happen under the registry lock (edit.ts), so
 * two first starts cannot both seed. The credentials are written before the registry: a crash in
 * between leaves no registry, so the next start seeds again.
 */
export async function seedRegistry({ samplePath, registryPath, credentialsPath, lock }: SeedOptions): Promise<boolean> {
  return createRegistry(
    registryPath,
    async () => {
      const { registry, credentials } = issueDeviceTokens(await loadRegistry(samplePath))
      await mkdir(dirname(credentialsPath), { recursive: true })
      await writeFileAtomic(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, 0o600)
      return registry
    },
    lock
  )
}

export async function readCredentials(path: string): Promise<Credentials> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new CredentialsError(`${path}: cannot read credentials: ${(err as Error).message}`, { cause: err })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new CredentialsError(`${path}: not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const parsed = Credentials.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new CredentialsError(
      `${path}: ${issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid'}`
    )
  }
  return parsed.data
}
