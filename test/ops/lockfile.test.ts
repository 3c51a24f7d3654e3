import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

// `npm ci` installs exactly what package-lock.json lists and refuses a lock that lacks a
// package some dependency declares, optional platform packages included (a Windows-only one
// missing from the lock once failed `npm ci` on Linux, in a clean clone and in the image).

interface LockEntry {
  version?: string
  optionalDependencies?: Record<string, string>
  dependencies?: Record<string, string>
  engines?: { node?: string }
  link?: boolean
}

async function lock(): Promise<Record<string, LockEntry>> {
  const text = await readFile(new URL('../../package-lock.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { packages: Record<string, LockEntry> }).packages
}

/** Where npm would find `name` for the package at `from`: its own node_modules, then up. */
function resolve(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`
    if (packages[candidate]) return candidate
    if (!dir) return undefined
    const up = dir.lastIndexOf('/node_modules/')
    dir = up < 0 ? '' : dir.slice(0, up)
  }
}

describe('package-lock.json', () => {
  it('lists every dependency and optional dependency of every package it holds', async () => {
    const packages = await lock()
    const missing: string[] = []
    for (const [at, entry] of Object.entries(packages)) {
      if (entry.link) continue
      const wanted = { ...entry.dependencies, ...entry.optionalDependencies }
      for (const name of Object.keys(wanted)) if (!resolve(packages, at, name)) missing.push(`${at || '.'} → ${name}`)
    }
    expect(missing).toEqual([])
  })

  it('holds nothing that declares it needs a newer Node than the one package.json promises (20)', async () => {
    const packages = await lock()
    // npm warns EBADENGINE for these on Node 20; a range that 20.x does not satisfy starts with >=2[1-9].
    const tooNew = Object.entries(packages)
      .filter(([, e]) => /^>=\s*(2[1-9]|[3-9]\d)/.test(e.engines?.node ?? ''))
      .map(([at, e]) => `${at}@${e.version} (node ${e.engines?.node})`)
    expect(tooNew).toEqual([])
  })
})
