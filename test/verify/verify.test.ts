import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { scenario, type Scenario } from './helpers.js'

const FILES = {
  '001_accounts.sql': `create table if not exists accounts (
  id bigint generated always as identity primary key,
  email varchar(255) not null,
  plan text not null default 'free'
);
create unique index if not exists accounts_email_key on accounts (email);
alter table accounts enable row level security;
drop policy if exists accounts_owner on accounts;
create policy accounts_owner on accounts for select using (id = 1);
`,
  '002_notes.sql': `create table if not exists notes (
  id bigint generated always as identity primary key,
  account_id bigint not null references accounts (id),
  body text
);
create table if not exists scratch (id int);
drop table if exists scratch;
alter table notes rename column body to content;
do $$ begin
  create type mood as enum ('ok', 'meh');
exception when duplicate_object then null;
end $$;
`,
}

/** A migrated project; each test breaks it in its own way. */
async function migrated(): Promise<Scenario> {
  const s = await scenario(FILES)
  const run = await s.cli('migrate', '--allow-destructive')
  assert.is(run.code, 0, run.stderr)
  return s
}

async function verifyJson(s: Scenario) {
  const { code, doc } = await s.json('verify')
  return { code, doc, objects: doc.objects as any[], history: doc.history as any[] }
}

test('a database that matches its files passes, with exit 0', async () => {
  const s = await migrated()
  try {
    const { code, doc } = await verifyJson(s)
    assert.is(code, 0)
    assert.is(doc.ok, true)
    assert.equal(doc.history, [])
    assert.equal(doc.objects, [])
    assert.ok(doc.checked >= 10, `checked ${doc.checked} objects`)
    const human = await s.cli('verify')
    assert.is(human.code, 0)
    assert.match(human.stdout, /verified: 2 applied file\(s\)/)
  } finally {
    await s.dispose()
  }
})

test('what a DO block creates is listed as unchecked, not guessed', async () => {
  const s = await migrated()
  try {
    const { doc } = await verifyJson(s)
    assert.equal(
      doc.unchecked.map((u: any) => `${u.file}:${u.line} ${u.statement}`),
      ['migrations/002_notes.sql:9 DO'],
    )
  } finally {
    await s.dispose()
  }
})

test("a table dropped behind the tool's back is named with the file and line that created it", async () => {
  const s = await migrated()
  try {
    await s.sql('drop table notes')
    const { code, objects } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(
      objects.map((o) => [o.kind, o.object, o.file, o.line]),
      [['missing', 'table public.notes', 'migrations/002_notes.sql', 1]],
    )
    const human = await s.cli('verify')
    assert.is(human.code, 1)
    assert.match(human.stdout, /missing\s+migrations\/002_notes\.sql:1: table public\.notes does not exist/)
  } finally {
    await s.dispose()
  }
})

test('a column altered by hand is reported with what the files say and what the database has', async () => {
  const s = await migrated()
  try {
    await s.sql('alter table accounts alter column email type text')
    await s.sql('alter table notes alter column account_id drop not null')
    const { code, objects } = await verifyJson(s)
    assert.is(code, 1)
    const email = objects.find((o) => o.object === 'column public.accounts.email')
    assert.equal(
      [email.kind, email.expected, email.actual, email.line],
      ['different', 'character varying(255) not null', 'text not null', 1],
    )
    const accountId = objects.find((o) => o.object === 'column public.notes.account_id')
    assert.equal([accountId.expected, accountId.actual], ['bigint not null', 'bigint null'])
  } finally {
    await s.dispose()
  }
})

test('a missing index and a missing policy are each named', async () => {
  const s = await migrated()
  try {
    await s.sql('drop index accounts_email_key; drop policy accounts_owner on accounts; alter table accounts disable row level security')
    const { code, objects } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(
      objects.map((o) => `${o.file}:${o.line} ${o.object}`),
      [
        'migrations/001_accounts.sql:6 index public.accounts_email_key',
        'migrations/001_accounts.sql:7 row level security public.accounts',
        'migrations/001_accounts.sql:9 policy public.accounts.accounts_owner',
      ],
    )
  } finally {
    await s.dispose()
  }
})

test('a deleted ledger row shows as a pending file, even though its objects exist', async () => {
  const s = await migrated()
  try {
    await s.sql('delete from ledger.migrations where version = 1')
    const { code, history } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(
      history.map((h) => [h.state, h.file]),
      [['out-of-order', 'migrations/001_accounts.sql']],
    )
    await s.sql('delete from ledger.migrations where version = 2')
    const again = await verifyJson(s)
    assert.equal(
      again.history.map((h) => [h.state, h.file]),
      [
        ['pending', 'migrations/001_accounts.sql'],
        ['pending', 'migrations/002_notes.sql'],
      ],
    )
  } finally {
    await s.dispose()
  }
})

test('a ledger row for a file that does not exist is named by the path it would have, with its version', async () => {
  const s = await migrated()
  try {
    await s.sql(`insert into ledger.migrations (version, name, checksum, status) values (3, 'ghost', 'abc', 'applied')`)
    const { code, history } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(
      history.map((h) => [h.state, h.version, h.name]),
      [['missing', 3, 'ghost']],
    )
    assert.match(history[0].message, /^migrations\/003_ghost\.sql \(version 3\) is recorded as applied but its file is gone/)
  } finally {
    await s.dispose()
  }
})

test('an edited file is named as changed', async () => {
  const s = await migrated()
  try {
    appendFileSync(join(s.cwd, 'migrations/002_notes.sql'), '\n-- edited after it was applied\n')
    const { code, history } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(
      history.map((h) => [h.state, h.file]),
      [['changed', 'migrations/002_notes.sql']],
    )
  } finally {
    await s.dispose()
  }
})

test('the incident: rows say applied, the tables do not exist', async () => {
  const s = await migrated()
  try {
    await s.sql('drop table notes; drop table accounts cascade')
    const { code, doc } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(doc.history, [])
    assert.equal(
      doc.objects.map((o: any) => o.object),
      ['table public.accounts', 'table public.notes'],
    )
  } finally {
    await s.dispose()
  }
})

test('a file removed from disk and an empty directory are reported, not crashed on', async () => {
  const s = await migrated()
  try {
    rmSync(join(s.cwd, 'migrations/002_notes.sql'))
    const { code, history, objects } = await verifyJson(s)
    assert.is(code, 1)
    assert.equal(
      history.map((h) => [h.state, h.version]),
      [['missing', 2]],
    )
    assert.equal(objects, [], 'objects of a file that is gone cannot be checked; the history problem says so')
  } finally {
    await s.dispose()
  }
})

test('no database URL is a configuration error with exit 2', async () => {
  const s = await scenario(FILES)
  try {
    const { strata } = await import('../support/project.js')
    const run = await strata(['verify'], { cwd: s.cwd })
    assert.is(run.code, 2)
    assert.match(run.stderr, /no database URL/)
  } finally {
    await s.dispose()
  }
})

test.run()
