// Device and service credentials as registry changes: pure functions (registry → the next
// registry, or the problems), shared by `qingyun devices|services` and the admin API, so a
// device revoked from the page and one revoked from a shell end up the same. They run inside
// editRegistry (edit.ts), on the file as it is under the lock; the broker drops a connected
// client whose account a reload revokes or re-keys (broker/hooks.ts).
import type { Device, Registry, RegistryProblem, TokenHash } from '../contracts/registry.ts'

export type CredentialCollection = 'devices' | 'services'
export type CredentialChange = Registry | { problems: RegistryProblem[] }

const NOUN: Record<CredentialCollection, string> = { devices: 'device', services: 'service account' }

/** The registry with `device` appended; a taken id or a missing site/bin/vehicle is left to checkRegistry. */
export const withDevice = (registry: Registry, device: Device): Registry => ({
  ...registry,
  devices: [...registry.devices, device]
})

/**
 * `tokenHash` set: a new token (the old one stops working) and the entry enabled — a rotation.
 * `tokenHash` null: disabled and its hash deleted — a revocation; only a rotation lets it in again.
 */
export function withCredential(
  registry: Registry,
  collection: CredentialCollection,
  id: string,
  tokenHash: TokenHash | null
): CredentialChange {
  const entries: readonly { id: string }[] = registry[collection]
  if (!entries.some((e) => e.id === id)) {
    return { problems: [{ path: collection, message: `no ${NOUN[collection]} with ID ${JSON.stringify(id)}` }] }
  }
  const update = <T extends { id: string; tokenHash?: string; enabled: boolean }>(e: T): T => {
    if (e.id !== id) return e
    const { tokenHash: _old, ...rest } = e
    return (tokenHash !== null ? { ...rest, tokenHash, enabled: true } : { ...rest, enabled: false }) as T
  }
  return collection === 'devices'
    ? { ...registry, devices: registry.devices.map(update) }
    : { ...registry, services: registry.services.map(update) }
}
