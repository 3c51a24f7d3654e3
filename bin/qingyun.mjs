#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader: one source of truth, no build
// step that can go stale between `git pull` and `qingyun start`.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
