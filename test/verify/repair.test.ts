import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { repair, StrataError } from '../../src/index.js'
import { LEDGER, scenario, type Scenario } from './helpers.js'

const FILES = {
  '001_a.sql': 'create table if not exists repair_a (id int);\n',
  '002_b.sql': 'create table if not exists repair_b (id int);\n',
}

async function migrated(): Promise<Scenario> {
  const s = await scenario(FILES)
  const run = await s.cli('migrate')
  assert.is(run.code, 0, run.stderr)
  return s
}

const ledger = async (s: Scenario) =>
  (await s.db.sql.unsafe(`select version::int, status, checksum from ${LEDGER}.migrations order by version`)).map(
    (r) => `${r.version}:${r.status}`,
  )
const events = async (s: Scenario) =>
  (await s.db.sql.unsafe(`select action, version::int, details from ${LEDGER}.events order by id`)) as any[]

test('without a terminal and without --yes, repair refuses with exit 2 and says to pass --yes; nothing changes', async () => {
  const s = await migrated()
  try {
    const run = await s.cli('repair', '--rolled-back', '2')
    assert.is(run.code, 2)
    assert.match(run.stderr, /needs confirmation/)
    assert.match(run.stderr, /pass --yes/)
    assert.equal(await ledger(s), ['1:applied', '2:applied'])
    assert.is((await events(s)).filter((e) => e.action === 'repair').length, 0)
  } finally {
    await s.dispose()
  }
})

test('--rolled-back forgets the row, keeps the history, and migrate applies the file again', async () => {
  const s = await migrated()
  try {
    await s.sql('drop table repair_b')
    const run = await s.cli('repair', '--rolled-back', '2', '--yes')
    assert.is(run.code, 0, run.stderr)
    assert.match(run.stdout, /removed version 2 \(b\) from the ledger/)
    assert.equal(await ledger(s), ['1:applied'])
    const repairEvent = (await events(s)).find((e) => e.action === 'repair')
    assert.is(repairEvent.version, 2)
    assert.is(repairEvent.details.operation, 'rolled-back')
    assert.is(repairEvent.details.previous.status, 'applied')
    assert.ok(
      (await events(s)).some((e) => e.action === 'apply' && e.version === 2),
      'the apply event stays: nothing deletes from events',
    )
    assert.is((await s.cli('migrate')).code, 0)
    assert.is((await s.cli('verify')).code, 0)
  } finally {
    await s.dispose()
  }
})

test('--accept-checksum takes the edited file as applied, and verify passes again', async () => {
  const s = await migrated()
  try {
    appendFileSync(join(s.cwd, 'migrations/001_a.sql'), '-- a comment added later\n')
    assert.is((await s.cli('verify')).code, 1)
    const { code, doc } = await s.json('repair', '--accept-checksum', '1', '--yes')
    assert.is(code, 0)
    assert.is(doc.action, 'accept-checksum')
    assert.is(doc.before.checksum === doc.after.checksum, false)
    assert.is((await s.cli('verify')).code, 0)
    const e = (await events(s)).find((x) => x.action === 'repair')
    assert.is(e.details.previous.checksum, doc.before.checksum)
  } finally {
    await s.dispose()
  }
})

test('--applied records a file that was applied by hand, without running it', async () => {
  const s = await scenario({ ...FILES, '003_c.sql': 'create table if not exists repair_c (id int);\n' })
  try {
    assert.is((await s.cli('migrate', '--to', '2')).code, 0)
    await s.sql('create table repair_c (id int)')
    const run = await s.cli('repair', '--applied', '3', '--yes')
    assert.is(run.code, 0, run.stderr)
    assert.equal(await ledger(s), ['1:applied', '2:applied', '3:applied'])
    assert.is((await events(s)).at(-1).action, 'repair')
    assert.is((await s.cli('verify')).code, 0)
  } finally {
    await s.dispose()
  }
})

test('--applied on a failed no-transaction file marks it applied so migrate can pass it', async () => {
  const s = await scenario({
    '001_a.sql': FILES['001_a.sql'],
    '002_idx.sql': '-- strata:no-transaction\ncreate index concurrently if not exists repair_a_id on repair_a (id);\nselect 1/0;\n',
  })
  try {
    assert.is((await s.cli('migrate')).code, 1)
    assert.equal(await ledger(s), ['1:applied', '2:failed'])
    assert.is((await s.cli('migrate')).code, 1, 'migrate refuses to pass a failed row')
    const run = await s.cli('repair', '--applied', '2', '--yes')
    assert.is(run.code, 0, run.stderr)
    assert.equal(await ledger(s), ['1:applied', '2:applied'])
    assert.is((await s.cli('migrate')).code, 0)
  } finally {
    await s.dispose()
  }
})

test('a repair that makes no sense is refused with a usage error and nothing changes', async () => {
  const s = await migrated()
  try {
    const already = await s.cli('repair', '--applied', '1', '--yes')
    assert.is(already.code, 2)
    assert.match(already.stderr, /already recorded as applied/)
    const none = await s.cli('repair', '--rolled-back', '9', '--yes')
    assert.is(none.code, 2)
    assert.match(none.stderr, /version 9 has no ledger row/)
    const two = await s.cli('repair', '--applied', '1', '--rolled-back', '2', '--yes')
    assert.is(two.code, 2)
    assert.match(two.stderr, /exactly one of/)
    assert.equal(await ledger(s), ['1:applied', '2:applied'])
  } finally {
    await s.dispose()
  }
})

test('the library asks through confirm, and a "no" changes nothing', async () => {
  const s = await migrated()
  try {
    const questions: string[] = []
    const no = repair({ url: s.db.url, cwd: s.cwd, schema: LEDGER, rolledBack: 2, confirm: async (q) => (questions.push(q), false) })
    const err = await no.then(
      () => undefined,
      (e) => e,
    )
    assert.instance(err, StrataError)
    assert.match(err.message, /cancelled/)
    assert.match(questions[0], /Remove the ledger row of migrations\/002_b\.sql/)
    assert.equal(await ledger(s), ['1:applied', '2:applied'])
    rmSync(join(s.cwd, 'migrations/002_b.sql'))
    const yes = await repair({ url: s.db.url, cwd: s.cwd, schema: LEDGER, rolledBack: 2, confirm: async () => true })
    assert.is(yes.name, 'b')
    assert.equal(await ledger(s), ['1:applied'])
  } finally {
    await s.dispose()
  }
})

test.run()
