import { common, type Flags, type Register } from './options.js'
import { c } from './output.js'
import { StrataError } from '../errors.js'

export const registerReverse: Register = (prog, wrap) => {
  prog
    .command('reverse [...versions]', 'Write .down.sql stubs beside up files that have none.')
    .option('--force', 'overwrite down files that exist', false)
    .option('--stdout', 'print the stubs instead of writing them', false)
    .example('reverse')
    .example('reverse 7 --stdout')
    .action(
      wrap(async (out, first, flags) => {
        const f = flags as Flags
        const versions = [first, ...(f._ as unknown[])].filter((v) => v !== undefined && v !== '').map(versionArgument)
        const { reverse } = await import('../commands/reverse.js')
        const result = await reverse({ versions, force: !!f.force, stdout: !!f.stdout, dir: common(f).dir, layout: common(f).layout })
        if (f.stdout && !f.json) {
          process.stdout.write(result.files.map((file) => file.text).join('\n'))
          return
        }
        out.result({ ok: true, ...result })
        if (!result.files.length) out.line('every up file has a down file (strata reverse --force <version> rewrites one)')
        for (const file of result.files) {
          if (file.action === 'kept') {
            out.line(`${c.dim('kept')}     ${file.downPath}  ${c.dim('exists; --force to overwrite')}`)
            continue
          }
          const state = file.complete
            ? ''
            : c.yellow(`  unfinished: ${file.irreversible.map((i) => `line ${i.line} ${i.what}`).join(', ')}`)
          out.line(`${c.green('wrote')}    ${file.downPath}${state}`)
        }
        if (result.files.some((file) => file.action === 'written' && !file.complete)) {
          out.line(
            c.dim('an unfinished stub raises an exception before it changes anything: write the marked reverses, then delete its DO block'),
          )
        }
      }),
    )
}

function versionArgument(value: unknown): number {
  const text = String(value)
  if (!/^\d+$/.test(text)) throw new StrataError('usage', `${JSON.stringify(text)} is not a version number`)
  return Number(text)
}
