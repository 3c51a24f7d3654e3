#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader: one source of truth, no build
// step that can go stale between `git pull` and `qingyun start`.
import { register as registerHooks } from 'node:module'
import { register } from 'tsx/esm/api'

register()
// Registered after tsx, so it sees tsx's output: see cli/keepNamesHook.mjs.
registerHooks('../cli/keepNamesHook.mjs', import.meta.url)
const { main } = await import('../cli/main.ts')
// Exit with the command's code even when something it started is still holding the event loop
// open (a server whose listen failed, a library's timer): a command that has returned is done,
// and `qingyun start` has stopped everything it started by then. stdout/stderr are files or
// pipes here, which Node writes synchronously, so nothing printed is lost.
process.exit(await main(process.argv.slice(2)))
