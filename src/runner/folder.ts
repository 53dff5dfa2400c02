/**
 * Reading a migrations folder: discovery and naming rules. The format itself (checksums, directives) is in
 * file-format.ts; other tools' layouts are in src/layouts/, and this reader hands a folder to one of them when
 * asked to (`layout`) or when the folder leaves no doubt whose it is. The readers of those layouts load only
 * then: a run in Strata's own layout (a deploy with nothing to do) never pays for them. files.ts is the
 * synchronous face of this reader.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { StrataError } from '../errors.js'
import { detectByNames, type LayoutName } from '../layouts/names.js'
import type { LayoutRead, Skipped } from '../layouts/folder.js'
import { foreignMarker } from '../layouts/sections.js'
import { checksum, DOWN, readDirectives, readMigrationText, UP, type MigrationFile } from './file-format.js'

/** What a folder holds, and how it was read. */
export interface History {
  files: MigrationFile[]
  layout: LayoutName
  /** The layout was recognised from the folder, not asked for. */
  detected: boolean
  /** Files the layout's tool itself skips (e.g. Supabase's names that do not fit), listed so that none is skipped silently. */
  skipped: Skipped[]
}

/**
 * The history in `dir`, letting the event loop run every few files: a connection opened meanwhile logs in while
 * the files are read and hashed, instead of after (src/db/target.ts).
 */
export async function readHistoryMeanwhile(dir: string, cwd = process.cwd(), layout?: LayoutName): Promise<History> {
  const reading = migrationReader(dir, cwd, layout)
  let answer: ReadLayout | undefined
  for (;;) {
    const step = reading.next(answer)
    if (step.done) return step.value
    if (step.value === WANTS_LAYOUTS) answer = (await import('../layouts/index.js')).readLayout
    else await new Promise(setImmediate)
  }
}

export type ReadLayout = (layout: Exclude<LayoutName, 'strata'>, dir: string, cwd: string) => LayoutRead

/** What the reader yields when the folder is another tool's: its driver answers with that tool's reader. */
export const WANTS_LAYOUTS = Symbol('wants the layout readers')

/** Files read between two pauses of `readHistoryMeanwhile`: about a millisecond of work. */
const FILES_PER_PAUSE = 25

/** Yields `undefined` where a pause may go, and `WANTS_LAYOUTS` when it needs another tool's reader. */
export function* migrationReader(
  dir: string,
  cwd: string,
  layout?: LayoutName,
): Generator<undefined | typeof WANTS_LAYOUTS, History, ReadLayout | undefined> {
  if (layout && layout !== 'strata') {
    const readLayout = (yield WANTS_LAYOUTS)!
    return { ...readLayout(layout, dir, cwd), layout, detected: false }
  }
  const abs = resolve(cwd, dir)
  let dirents: Dirent[]
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a directory')
    dirents = readdirSync(abs, { withFileTypes: true })
  } catch (e) {
    throw new StrataError('config', `cannot read the migrations directory ${dir}: ${(e as Error).message}`, {
      file: dir,
      hint: 'pass --dir <path>, set STRATA_DIR, or create core/migrations or migrations',
    })
  }
  // Another tool's folder runs as it is, so a team can leave that tool without renaming a file.
  const byNames = layout ? {} : detectByNames(abs, dirents)
  if (byNames.layout) {
    const readLayout = (yield WANTS_LAYOUTS)!
    return { ...readLayout(byNames.layout as Exclude<LayoutName, 'strata'>, dir, cwd), layout: byNames.layout, detected: true }
  }
  const shownDir = relative(cwd, abs)
  const show = (f: string) => (shownDir ? shownDir + sep + f : f) // a plain name in a normalized directory: no join needed
  const ups: MigrationFile[] = []
  const downs = new Map<string, string>()
  const badNames: string[] = []
  const stems = new Map<MigrationFile, string>()
  for (const dirent of dirents) {
    const entry = dirent.name
    if (!entry.toLowerCase().endsWith('.sql')) continue
    const down = DOWN.exec(entry)
    if (down) {
      downs.set(entry.slice(0, -'.down.sql'.length), show(entry))
      continue
    }
    const up = UP.exec(entry)
    if (!up) {
      badNames.push(show(entry))
      continue
    }
    const version = Number(up[1])
    if (!Number.isSafeInteger(version)) {
      badNames.push(`${show(entry)} (version too large)`)
      continue
    }
    const path = show(entry)
    const content = readMigrationText(join(abs, entry), path, dirent.isFile())
    const file: MigrationFile = {
      version,
      name: up[2],
      path,
      content,
      checksum: checksum(content),
      noTransaction: readDirectives(content).noTransaction,
    }
    stems.set(file, entry.slice(0, -'.sql'.length))
    if (ups.push(file) % FILES_PER_PAUSE === 0) yield
  }
  const marked = ups.flatMap((file) => {
    const found = foreignMarker(file.content)
    return found ? [{ file, ...found }] : []
  })
  // Every file carries one tool's markers: it is that tool's folder.
  const tool = marked[0]?.layout as LayoutName | undefined
  if (!layout && tool && marked.length === ups.length && marked.every((m) => m.layout === tool)) {
    const readLayout = (yield WANTS_LAYOUTS)!
    return { ...readLayout(tool as Exclude<LayoutName, 'strata'>, dir, cwd), layout: tool, detected: true }
  }
  if (badNames.length) {
    throw new StrataError(
      'files',
      `${badNames.length === 1 ? 'a file does' : `${badNames.length} files do`} not match <version>_<name>.sql or <version>_<name>.down.sql:\n  ${badNames.join('\n  ')}`,
      {
        file: badNames[0],
        hint: byNames.doubt
          ? `this looks like another tool's folder: ${byNames.doubt}`
          : 'rename them (version = digits, name = letters, digits, _ and -), or move them out of the directory; if another tool wrote them, pass --layout (see docs/adopt.md)',
      },
    )
  }
  if (marked.length) throw bothDirections(marked)
  ups.sort((a, b) => a.version - b.version || a.path.localeCompare(b.path))
  const clashes: string[] = []
  for (let i = 1; i < ups.length; i++) {
    if (ups[i].version === ups[i - 1].version) clashes.push(`version ${ups[i].version}: ${ups[i - 1].path} and ${ups[i].path}`)
  }
  if (clashes.length) {
    throw new StrataError('files', `duplicate migration versions:\n  ${clashes.join('\n  ')}`, {
      file: ups.find((u) => clashes[0].includes(u.path))?.path,
      hint: 'give each file its own version number (strata new <name> picks the next one)',
    })
  }
  for (const up of ups) {
    const down = downs.get(stems.get(up)!)
    if (down) up.downPath = down
  }
  return { files: ups, layout: 'strata', detected: false, skipped: [] }
}

/** Files with another tool's up/down markers, read as Strata files: they would run whole, down sections and all. */
function bothDirections(marked: { file: MigrationFile; layout: string; line: number; marker: string }[]): StrataError {
  const lines = marked.map(
    (m) => `${m.file.path}:${m.line}: "${m.marker}" marks a ${m.layout} section; run as a Strata file, its down section would run too`,
  )
  const layouts = [...new Set(marked.map((m) => m.layout))]
  return new StrataError('files', `refusing to run files that hold both directions:\n  ${lines.join('\n  ')}`, {
    file: marked[0].file.path,
    line: marked[0].line,
    hint: `read the folder as its tool does: --layout ${layouts.join(' or --layout ')} (or "strata": { "layout": "${layouts[0]}" } in package.json)`,
  })
}
