import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { contractDocuments } from '../../contracts/export.ts'
import type { CommandContext } from './context.ts'

/** `qingyun schema --out DIR`: JSON Schema files and the AsyncAPI 3 document, from the zod schemas. */
export async function schemaCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true })
  if (!values.out) {
    ctx.stderr.write('usage: qingyun schema --out DIR\n')
    return 2
  }
  await mkdir(values.out, { recursive: true })
  const docs = contractDocuments()
  for (const [name, doc] of Object.entries(docs)) {
    await writeFile(path.join(values.out, name), JSON.stringify(doc, null, 2) + '\n')
  }
  ctx.stdout.write(`wrote ${Object.keys(docs).length} files to ${path.resolve(values.out)}\n`)
  return 0
}
