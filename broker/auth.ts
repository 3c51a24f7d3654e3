import type { Device, ServiceAccount } from '../contracts/registry.ts'
import { verifyToken } from '../registry/tokens.ts'
import type { Principal } from './acl.ts'

export interface Accounts {
  device(id: string): Device | undefined
  service(id: string): ServiceAccount | undefined
}

/** CONNACK return codes [MQTT-3.2.2.3]. */
export const CONNACK_BAD_CREDENTIALS = 4
export const CONNACK_IDENTIFIER_REJECTED = 2

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly returnCode: number; readonly reason: string }

/**
 * The MQTT username names a device or service account, the password is its token (docs/architecture.md,
 * decision 7). With the dev flag, a client with no credentials, or a registered device's id
 * and no password, is let in; a wrong password is refused even then.
 */
export function authenticate(
  accounts: Accounts,
  allowAnonymous: boolean,
  username: string | undefined,
  password: Buffer | undefined
): AuthResult {
  if (!username) {
    return allowAnonymous
      ? { ok: true, principal: { kind: 'anonymous' } }
      : { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'no username' }
  }
  const device = accounts.device(username)
  if (device) {
    if (!device.enabled) return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'device disabled' }
    if (password === undefined && allowAnonymous)
      return { ok: true, principal: { kind: 'device', deviceId: device.id } }
    if (password !== undefined && verifyToken(device.tokenHash, password))
      return { ok: true, principal: { kind: 'device', deviceId: device.id } }
    return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'wrong or missing token' }
  }
  const service = accounts.service(username)
  if (service?.enabled && password !== undefined && verifyToken(service.tokenHash, password)) {
    return { ok: true, principal: { kind: 'service', serviceId: service.id } }
  }
  return {
    ok: false,
    returnCode: CONNACK_BAD_CREDENTIALS,
    reason: service ? 'wrong token or disabled service' : 'unknown username'
  }
}

/** Whether the principal's account still lets it in after a registry change. */
export function stillValid(accounts: Accounts, p: Principal, tokenHashAtConnect: string | undefined): boolean {
  if (p.kind === 'device') {
    const d = accounts.device(p.deviceId)
    return Boolean(d?.enabled) && d?.tokenHash === tokenHashAtConnect
  }
  if (p.kind === 'service') {
    const s = accounts.service(p.serviceId)
    return Boolean(s?.enabled) && s?.tokenHash === tokenHashAtConnect
  }
  return true
}
