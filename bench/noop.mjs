// `strata migrate` with nothing pending: start, read the ledger, compare checksums, exit.
import { fmt, generateHistory, scratchPostgres, strataBin, timeCommand } from './support.mjs'

const count = Number(process.argv[2] ?? 500)
const pg = await scratchPostgres()
try {
  const url = await pg.database()
  const dir = generateHistory(count)
  timeCommand(process.execPath, [strataBin, 'migrate', '--url', url, '--dir', dir], { runs: 0 })
  const noop = timeCommand(process.execPath, [strataBin, 'migrate', '--url', url, '--dir', dir])
  const status = timeCommand(process.execPath, [strataBin, 'status', '--url', url, '--dir', dir])
  const node = timeCommand(process.execPath, ['-e', '0'])
  console.log(`no-op migrate, ${count} applied files: median ${fmt(noop.median)} (min ${fmt(noop.min)}, max ${fmt(noop.max)})`)
  console.log(`status, ${count} applied files:        median ${fmt(status.median)} (min ${fmt(status.min)}, max ${fmt(status.max)})`)
  console.log(`bare node startup for reference:       median ${fmt(node.median)}`)
} finally {
  await pg.stop()
}
