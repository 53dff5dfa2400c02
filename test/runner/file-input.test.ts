// Bad input is refused before anything runs, naming the file (and the line and column when it is in the text).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, symlinkSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { StrataError, readMigrations } from '../../src/index.js'
import { decodeMigration } from '../../src/runner/file-format.js'
import { useFreshDatabase } from '../support/db.js'
import { bin, project, strata, type RunAs } from '../support/project.js'
import { testUnless } from '../support/skip.js'

const db = useFreshDatabase(test)

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))

function refusal(action: () => unknown): StrataError {
  try {
    action()
  } catch (e) {
    assert.instance(e, StrataError)
    return e as StrataError
  }
  throw new Error('expected a StrataError')
}

const exists = async (table: string) => (await db.sql`select to_regclass(${table}) is not null as ok`)[0].ok

test('invalid UTF-8 is refused at file:line:col by migrate, status and lint alike, and nothing runs', async () => {
  const cwd = project({
    'migrations/001_ok.sql': 'create table if not exists bad_utf8_ok (id int);',
    // Latin-1 é (0xE9) where UTF-8 needs two bytes: decoded anyway, it would reach the server as U+FFFD.
    'migrations/002_latin1.sql': bytes('-- seed\ninsert into bad_utf8_ok values (1); -- caf', [0xe9], '\n'),
  })
  const where = /migrations\/002_latin1\.sql:2:43: not valid UTF-8 \(0xE9\)/
  for (const args of [['migrate'], ['status'], ['lint'], ['migrate', '--dry-run']]) {
    const r = await strata([...args, '--url', db.url, '--schema', 'bad_utf8'], { cwd })
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, where, args.join(' '))
    assert.match(r.stderr, /save the file as UTF-8/, args.join(' '))
    assert.match(r.stderr, /2 \| insert into bad_utf8_ok values \(1\); -- caf\uFFFD\n\s+\^/, `${args.join(' ')}: the line with a caret`)
  }
  assert.not.ok(await exists('bad_utf8_ok'), 'the valid file before it did not run either')
  const json = await strata(['lint', '--format', 'json'], { cwd })
  assert.is(json.code, 2)
})

test('the refusal is located after a BOM and CRLF/CR line endings as migrate would count them', () => {
  const err = refusal(() => decodeMigration(bytes('\uFEFFselect 1;\r\nselect 2;\rselect ', [0xff], ';'), 'm.sql'))
  assert.is(err.code, 'files')
  assert.equal([err.facts.file, err.facts.line, err.facts.column], ['m.sql', 3, 8])
  assert.is(err.exitCode, 2)
})

test('every kind of invalid sequence is refused at its first byte; valid UTF-8 of every length passes', () => {
  const at = (b: Buffer) => {
    const e = refusal(() => decodeMigration(b, 'x.sql'))
    return `${e.facts.line}:${e.facts.column}`
  }
  assert.is(at(bytes('ab', [0xc0, 0xaf])), '1:3', 'overlong encoding of /')
  assert.is(at(bytes('a', [0xed, 0xa0, 0x80])), '1:2', 'a UTF-16 surrogate')
  assert.is(at(bytes('a', [0xf4, 0x90, 0x80, 0x80])), '1:2', 'past U+10FFFF')
  assert.is(at(bytes('é', [0x80])), '1:2', 'a stray continuation byte, after a 2-byte character')
  assert.is(at(bytes('😀\n', [0xe2, 0x82])), '2:1', 'a sequence cut off by the end of the file')
  assert.match(refusal(() => decodeMigration(bytes([0xe2, 0x82]), 'x.sql')).message, /\(0xE2 0x82\)/)
  assert.match(
    refusal(() => decodeMigration(bytes('a', [0xed, 0xa0, 0x80]), 'x.sql')).message,
    /\(0xED\)/,
    'the bytes before the one that does not fit',
  )
  assert.is(decodeMigration(bytes('a é € 😀'), 'x.sql'), 'a é € 😀')
  const utf16 = refusal(() => decodeMigration(Buffer.from('\uFEFFselect 1;', 'utf16le'), 'w.sql'))
  assert.is(`${utf16.facts.line}:${utf16.facts.column}`, '1:1')
  assert.match(String(utf16.facts.hint), /UTF-16/)
})

test('a NUL byte is refused at its place: Postgres cannot take it in query text', () => {
  const cwd = project({ 'migrations/001_a.sql': "select 1;\nselect 'a\0b';\n" })
  const err = refusal(() => readMigrations('migrations', cwd))
  assert.is(err.code, 'files')
  assert.match(err.message, /^migrations\/001_a\.sql:2:10: a NUL byte/)
  assert.equal([err.facts.file, err.facts.line, err.facts.column], ['migrations/001_a.sql', 2, 10])
})

test('checksums of valid files are what they always were: sha256 of the text without BOM, with LF line endings', () => {
  const text = '\uFEFF-- café 😀\r\nselect 1;\rselect 2;\n'
  const cwd = project({ 'migrations/001_a.sql': text, 'migrations/002_b.sql': '-- café 😀\nselect 1;\nselect 2;\n' })
  const [a, b] = readMigrations('migrations', cwd)
  // The value a ledger written before files were read as bytes holds for this file.
  assert.is(a!.checksum, 'de7d2ad82a92001df3f584214a4a095fca806cbcae400bd5f2e15ef9c215d02c')
  assert.is(b!.checksum, a!.checksum)
  assert.is(a!.checksum, createHash('sha256').update('-- café 😀\nselect 1;\nselect 2;\n').digest('hex'))
})

test('a directory, a dangling symbolic link or a named pipe named like a migration is refused by name (exit 2)', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;' })
  const dir = join(cwd, 'migrations')
  const cases: [string, () => void, RegExp][] = [
    ['003_x.sql', () => mkdirSync(join(dir, '003_x.sql')), /migrations\/003_x\.sql is a directory, not a migration file/],
    [
      '004_y.sql',
      () => symlinkSync('missing.sql', join(dir, '004_y.sql')),
      /migrations\/004_y\.sql is a symbolic link to missing\.sql, which does not exist/,
    ],
    [
      '005_z.sql',
      () => assert.is(spawnSync('mkfifo', [join(dir, '005_z.sql')]).status, 0),
      /migrations\/005_z\.sql is a named pipe \(FIFO\), not a migration file/,
    ],
  ]
  for (const [name, make, message] of cases) {
    make()
    for (const args of [['migrate', '--url', db.url], ['lint']]) {
      const r = await strata(args, { cwd }) // a FIFO read without O_NONBLOCK would hang here until the test timed out
      assert.is(r.code, 2, `${name} ${args[0]}: ${r.stderr}`)
      assert.match(r.stderr, message, `${name} ${args[0]}`)
      assert.not.match(r.stderr, /EISDIR|ENOENT|EACCES/, `${name} ${args[0]}: no raw system error`)
    }
    spawnSync('rm', ['-rf', join(dir, name)])
  }
})

/**
 * How to run the CLI so that a file's mode is obeyed. root reads any file, so as root: root without the
 * capabilities that bypass modes (setpriv), else the user nobody (when it can read this checkout). Each way is
 * tried on a probe first: it must read the CLI and be refused a file of mode 000.
 */
function modeObeyingRunner(): RunAs | string {
  const probe = join(project({ 'probe.sql': 'select 1;' }), 'probe.sql')
  chmodSync(probe, 0o000)
  const check =
    'const fs = require("fs"); fs.readFileSync(process.argv[1]); try { fs.readFileSync(process.argv[2]); process.exit(3) } catch (e) { process.exit(e.code === "EACCES" ? 0 : 4) }'
  const dropDac = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search']
  const ways: RunAs[] = userInfo().uid === 0 ? [{ prefix: dropDac }, { uid: 65534, gid: 65534 }] : [{}]
  for (const way of ways) {
    const [command, ...before] = [...(way.prefix ?? []), process.execPath]
    const run = spawnSync(command!, [...before, '-e', check, bin, probe], { uid: way.uid, gid: way.gid })
    if (run.status === 0) return way
  }
  return 'no way to run the CLI here so that file modes apply (root without setpriv, and nobody cannot read this checkout)'
}

const runner = modeObeyingRunner()

testUnless(typeof runner === 'string' ? runner : undefined)('an unreadable file is refused by name (exit 2)', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;', 'migrations/002_secret.sql': 'select 2;' })
  chmodSync(cwd, 0o755) // mkdtemp makes it 0700: nobody must reach the files to be refused one
  chmodSync(join(cwd, 'migrations/002_secret.sql'), 0o000)
  const r = await strata(['lint'], { cwd, ...(runner as RunAs) })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stderr, /migrations\/002_secret\.sql cannot be read: permission denied/)
})

test('a down file with invalid UTF-8 is refused by down and reverse, at its place', async () => {
  const cwd = project({
    'migrations/001_a.sql': 'create table if not exists bad_down (id int);',
    'migrations/001_a.down.sql': bytes('drop table if exists bad_down; -- ', [0x80], '\n'),
  })
  const run = (...args: string[]) => strata([...args, '--url', db.url, '--schema', 'bad_down'], { cwd })
  assert.is((await run('migrate')).code, 0)
  for (const args of [['down', '--yes'], ['reverse']]) {
    const r = await run(...args)
    assert.is(r.code, 2, `${args[0]}: ${r.stderr}`)
    assert.match(r.stderr, /migrations\/001_a\.down\.sql:1:35: not valid UTF-8 \(0x80\)/, args[0])
  }
  assert.ok(await exists('bad_down'), 'nothing was rolled back')
})

test('a Prisma migration.sql is read the same way', () => {
  const cwd = project({
    'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    'prisma/migrations/20240101000000_init/migration.sql': bytes('CREATE TABLE "T" (id int); -- ', [0xfc], '\n'),
  })
  const err = refusal(() => readMigrations('prisma/migrations', cwd))
  assert.match(err.message, /^prisma\/migrations\/20240101000000_init\/migration\.sql:1:31: not valid UTF-8 \(0xFC\)/)
})

test('a database URL that does not parse is a configuration error (exit 2) that never shows the password', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;' })
  // Malformed before any connection is tried: no test traffic leaves this machine.
  for (const url of ['postgres://app:s3cret@db.example.com:99999/app', 'postgres://app:s3cret@[::1/app']) {
    for (const r of [await strata(['status', '--url', url], { cwd }), await strata(['migrate'], { cwd, env: { DATABASE_URL: url } })]) {
      assert.is(r.code, 2, r.stderr)
      assert.match(r.stderr, /(--url|DATABASE_URL): the database URL is not valid/)
      assert.not.match(r.stderr, /Invalid URL/)
      assert.not.ok((r.stdout + r.stderr).includes('s3cr'), r.stderr)
    }
  }
})

test.run()
