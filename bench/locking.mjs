#!/usr/bin/env node
// How many of squawk's locking hazards Strata flags, with the same kind of rule (locking, or breaking, or the
// table rewrite of alter-column-type), and which of its safe cases Strata flags: bench/squawk-locking-cases.json
// holds squawk's own rule test cases (credited there). Needs `npm run build`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './support.mjs'

const { lintSources } = await import(join(root, 'dist/lint/index.js'))
const { cases } = JSON.parse(readFileSync(join(root, 'bench/squawk-locking-cases.json'), 'utf8'))
const sameKind = (finding) => finding.category === 'locking' || finding.category === 'breaking' || finding.rule === 'alter-column-type'

const byRule = new Map()
const misses = []
const flaggedSafe = []
for (const c of cases) {
  const findings = (await lintSources([{ path: 'migrations/001_case.sql', content: c.sql }])).filter(sameKind)
  const row = byRule.get(c.rule) ?? { hazards: 0, caught: 0, safe: 0, flagged: 0 }
  byRule.set(c.rule, row)
  // A hazard only before PostgreSQL 12 (a constant default, SET NOT NULL after a validated check) is one no longer.
  const oldOnly = c.expect === 'hazard' && c.settings?.pgVersion !== undefined && c.settings.pgVersion < 12
  if (c.expect === 'hazard' && !oldOnly) {
    row.hazards++
    if (findings.length) row.caught++
    else misses.push(`${c.rule}/${c.test}`)
  } else if (c.expect === 'safe') {
    row.safe++
    if (findings.length) {
      row.flagged++
      flaggedSafe.push(`${c.rule}/${c.test}: ${[...new Set(findings.map((f) => f.rule))].join(', ')}`)
    }
  }
}
const total = [...byRule.values()].reduce(
  (t, r) => ({ hazards: t.hazards + r.hazards, caught: t.caught + r.caught, safe: t.safe + r.safe, flagged: t.flagged + r.flagged }),
  { hazards: 0, caught: 0, safe: 0, flagged: 0 },
)
console.log(`squawk's locking rule tests (${cases.length} cases; PostgreSQL 11-only hazards left out), linted by Strata`)
console.log('squawk rule                                   hazards caught   safe flagged')
for (const [rule, r] of byRule)
  console.log(`${rule.padEnd(46)}${`${r.caught}/${r.hazards}`.padStart(14)}${`${r.flagged}/${r.safe}`.padStart(15)}`)
console.log(
  `${'total'.padEnd(46)}${`${total.caught}/${total.hazards}`.padStart(14)}${`${total.flagged}/${total.safe}`.padStart(15)}   (${((100 * total.caught) / total.hazards).toFixed(0)}% of the hazards)`,
)
for (const miss of misses) console.log(`missed: ${miss}`)
for (const flagged of flaggedSafe) console.log(`safe for squawk, flagged by Strata: ${flagged}`)
