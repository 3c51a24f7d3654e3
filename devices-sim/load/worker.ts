// A worker thread running one slice of a load run (see run.ts), started with tsx's loader.
import { parentPort, workerData } from 'node:worker_threads'
import { runSlice, type SliceOptions } from './slice.ts'

const port = parentPort!
const result = await runSlice(workerData as SliceOptions, (progress) =>
  port.postMessage({ type: 'progress', progress })
)
port.postMessage({ type: 'done', progress: result.progress, latencies: result.latencies }, [
  result.latencies.buffer as ArrayBuffer
])
