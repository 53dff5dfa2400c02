/** Two snapshots compared key by key: what is missing, extra or different, in words a person can act on. */
import type { Snapshot, SnapshotObject } from './types.js'

export interface SchemaDifference {
  kind: 'missing' | 'extra' | 'different'
  /** The object's key, e.g. `column public.users.email`. */
  object: string
  expected?: string
  actual?: string
}

/**
 * `expected` is what the files produce (a shadow replay, or the database before a round trip); `actual` is
 * the database under test. A missing or extra table is reported once, not once more per column, index,
 * constraint, policy and trigger it takes with it.
 */
export function diffSnapshots(expected: Snapshot, actual: Snapshot): SchemaDifference[] {
  const diffs: SchemaDifference[] = []
  const keys = [...new Set([...Object.keys(expected.objects), ...Object.keys(actual.objects)])].sort()
  const absent = (o: SnapshotObject, other: Snapshot) => !o.parent || o.parent in other.objects
  for (const key of keys) {
    const want = expected.objects[key]
    const have = actual.objects[key]
    if (want && !have) {
      if (absent(want, actual)) diffs.push({ kind: 'missing', object: key, expected: want.definition })
    } else if (have && !want) {
      if (absent(have, expected)) diffs.push({ kind: 'extra', object: key, actual: have.definition })
    } else if (want.definition !== have.definition) {
      diffs.push({ kind: 'different', object: key, expected: want.definition, actual: have.definition })
    }
  }
  return diffs
}

/** One line per difference; definitions follow, indented, with `expected:` and `actual:` labels. */
export function formatDifferences(diffs: SchemaDifference[]): string {
  if (!diffs.length) return 'no differences'
  const lines: string[] = []
  for (const d of diffs) {
    lines.push(`${d.kind.padEnd(9)}  ${d.object}`)
    if (d.kind === 'different') {
      lines.push(...labelled('expected', d.expected!), ...labelled('actual', d.actual!))
    } else if (d.kind === 'missing' && isShort(d.expected)) lines.push(...labelled('expected', d.expected!))
    else if (d.kind === 'extra' && isShort(d.actual)) lines.push(...labelled('actual', d.actual!))
  }
  return lines.join('\n')
}

/** Long bodies (views, functions) would drown the list when a whole object is missing or extra; one word (`table`) says nothing. */
const isShort = (text: string | undefined) => !!text && !text.includes('\n') && text.length <= 120 && /\s/.test(text)

function labelled(label: string, text: string): string[] {
  const [first, ...rest] = text.split('\n')
  const pad = ' '.repeat(13 + label.length)
  return [`           ${label}: ${first}`, ...rest.map((l) => pad + l)]
}
