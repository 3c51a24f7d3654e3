// Worker threads do not inherit the parent's tsx loader, and on Node 20 `execArgv: ['--import',
// 'tsx']` does not reach a worker's entry module (ERR_UNKNOWN_FILE_EXTENSION): register tsx here,
// as bin/qingyun.mjs does, then load the TypeScript worker.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
