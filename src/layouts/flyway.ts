/**
 * Flyway: the folder and its subfolders, as Flyway scans a location.
 *   V<version>__<description>.sql   versioned; the version's parts are separated by `.` or `_` (V1_1 is 1.1),
 *                                   ordered part by part (1.9 < 1.10), trailing zero parts ignored (1.0 is 1)
 *   U<version>__<description>.sql   the undo of that version: Strata's down for it
 *   R__<description>.sql            repeatable: applied after the versioned ones, in description order, and
 *                                   again whenever its checksum changes
 *   <script>.sql.conf               `executeInTransaction=false` runs that script outside a transaction
 * Baseline migrations (B…) and `${placeholders}` (which Flyway replaces before it runs a script) are refused.
 *
 * Ledger versions (the ledger keys rows by a bigint): V<a>[.<b>[.<c>]] is a × 10⁶ + b × 10³ + c (parts after
 * the first below 1000), e.g. V17.1 → 17001000; a version of ten or more digits with no further part (a
 * timestamp) is itself. Repeatables are keyed by a negative number drawn from their description, which never
 * collides with a version and never counts as a step of history (src/runner/plan.ts).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { byVersion, filesIn, readEntry, refuse, wholeFile, type LayoutRead, type Skipped } from './folder.js'
import type { MigrationFile } from '../runner/file-format.js'

const SCRIPT = /^(?:.*\/)?([VUBR])([0-9][0-9._]*)?__(.+)\.sql$/

export function readFlyway(dir: string, cwd: string): LayoutRead {
  const versioned: MigrationFile[] = []
  const repeatable: MigrationFile[] = []
  const undo = new Map<number, { path: string; content: string; noTransaction: boolean }>()
  const skipped: Skipped[] = []
  const problems: string[] = []
  for (const entry of filesIn(dir, cwd, true)) {
    if (!entry.name.toLowerCase().endsWith('.sql')) continue
    const m = SCRIPT.exec(entry.name)
    if (!m || (m[1] === 'R') !== (m[2] === undefined)) {
      skipped.push({ path: entry.path, reason: 'not V<version>__, U<version>__ or R__<description>.sql: Flyway does not read it' })
      continue
    }
    const [, prefix, version, description] = m
    if (prefix === 'B') {
      problems.push(`${entry.path}: a Flyway baseline migration; Strata does not read them (adopt the database with strata adopt flyway)`)
      continue
    }
    const content = readEntry(entry)
    const placeholder = /\$\{[^}\n]*\}/.exec(content)
    if (placeholder) {
      const line = content.slice(0, placeholder.index).split('\n').length
      problems.push(
        `${entry.path}:${line}: the Flyway placeholder ${placeholder[0]}, which Flyway replaces before running; Strata sends the file as it is`,
      )
      continue
    }
    const noTransaction = /^\s*executeInTransaction\s*=\s*false\s*$/m.test(readConf(entry.abs))
    if (prefix === 'R') {
      repeatable.push(wholeFile(repeatableKey(description), description, entry.path, content, { repeatable: true, noTransaction }))
      continue
    }
    const key = flywayVersion(version!)
    if (typeof key === 'string') {
      problems.push(`${entry.path}: ${key}`)
      continue
    }
    if (prefix === 'U') undo.set(key, { path: entry.path, content, noTransaction })
    else versioned.push(wholeFile(key, description, entry.path, content, { noTransaction }))
  }
  if (problems.length) refuse(problems, 'Flyway', dir, 'see docs/adopt.md (Flyway) for what Strata reads')
  byVersion(versioned, 'Flyway', dir)
  checkOrder(versioned, dir)
  for (const file of versioned) {
    const down = undo.get(file.version)
    if (down) file.down = down
  }
  repeatable.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { files: [...versioned, ...repeatable], skipped }
}

function readConf(scriptPath: string): string {
  const conf = `${scriptPath}.conf`
  return existsSync(conf) ? readFileSync(conf, 'utf8') : ''
}

/** Flyway's parts of a version: `1_2.3` → [1, 2, 3], trailing zeros dropped (1.0 is 1). */
export function versionParts(text: string): number[] {
  const parts = text
    .split(/[._]/)
    .filter((p) => p !== '')
    .map(Number)
  while (parts.length > 1 && parts[parts.length - 1] === 0) parts.pop()
  return parts
}

/** The ledger version of a Flyway version (see the top of this file), or why it has none. */
export function flywayVersion(text: string): number | string {
  const parts = versionParts(text)
  const [a, b = 0, c = 0] = parts
  if (parts.length === 1 && a >= 1e9) return Number.isSafeInteger(a) ? a : `version ${text} is too large`
  if (parts.length > 3 || b >= 1000 || c >= 1000 || a >= 1e9)
    return `version ${text} does not fit Strata's ledger: at most three parts, the second and third below 1000, the first below 10⁹ when others follow`
  return a * 1e6 + b * 1e3 + c
}

/** Ledger versions must keep Flyway's order; a folder that mixes timestamps with large dotted versions may not. */
function checkOrder(files: MigrationFile[], dir: string): void {
  const parts = (f: MigrationFile) => versionParts(/([0-9][0-9._]*)__/.exec(f.path)![1])
  for (let i = 1; i < files.length; i++) {
    const [x, y] = [parts(files[i - 1]), parts(files[i])]
    const k = x.findIndex((p, j) => p !== (y[j] ?? 0))
    const flywayLess = k === -1 ? x.length <= y.length : x[k] < (y[k] ?? 0)
    if (!flywayLess)
      refuse(
        [`${files[i - 1].path} and ${files[i].path}`],
        'Flyway',
        dir,
        'their ledger versions would not keep Flyway order: do not mix timestamp versions with dotted ones',
      )
  }
}

/** A repeatable's key: negative, from its description, the same on every machine. */
export function repeatableKey(description: string): number {
  return -(1 + parseInt(createHash('sha256').update(description).digest('hex').slice(0, 12), 16))
}

/** Flyway's checksum: CRC32 over the script's lines without their line endings (and without a BOM), as a signed int. */
export function flywayChecksum(text: string): number {
  let crc = 0xffffffff
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  for (const line of lines) for (const byte of Buffer.from(line, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) | 0
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
