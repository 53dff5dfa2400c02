/** Reading a --targets file, --shard slices, tenant ledger names and URLs for database names: pure, no database. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StrataError, tenantLedger } from '../../src/index.js'
import { parseShard, parseTargets, shardOf, takeShard } from '../../src/targets/list.js'
import { changeUrl, parseUrl } from '../../src/db/url.js'

const base = 'postgres://app:s3cret-pw@db1:5432,db2:5433/app?sslmode=require&application_name=x'

function refusal(f: () => unknown): StrataError {
  try {
    f()
  } catch (e) {
    assert.instance(e, StrataError)
    return e as StrataError
  }
  throw new Error('expected a StrataError')
}

test('one target per line: database names on the --url server, URLs as they are; comments and blank lines ignored', () => {
  const lines = ['# tenants', '', 'acme', '  globex   # moved in May', 'postgres://u:pw-of-u@other:6543/initech', '\t']
  const targets = parseTargets(lines, 'tenants.txt', { url: base, schema: 'strata' })
  assert.equal(
    targets.map((t) => [t.name, t.kind, t.line]),
    [
      ['acme', 'database', 3],
      ['globex', 'database', 4],
      ['postgres://u:****@other:6543/initech', 'url', 5],
    ],
  )
  const acme = parseUrl(targets[0].url)
  assert.is(acme.database, 'acme')
  assert.equal(acme.hosts, ['db1', 'db2'], 'the same hosts')
  assert.is(acme.password, 's3cret-pw')
  assert.is(acme.params.sslmode, 'require', 'and the same parameters')
})

test('a duplicate, a database name without a server URL, a line that is not one target, or no target at all: refused with the line', () => {
  assert.match(
    refusal(() => parseTargets(['a', 'b', 'a'], 't.txt', { url: base, schema: 's' })).message,
    /t\.txt:3: a is already a target at line 1/,
  )
  const noUrl = refusal(() => parseTargets(['acme'], 't.txt', { schema: 's' }))
  assert.match(noUrl.message, /t\.txt:1: database acme needs the server's URL/)
  assert.is(noUrl.exitCode, 2)
  assert.match(refusal(() => parseTargets(['acme globex'], 't.txt', { url: base, schema: 's' })).message, /t\.txt:1: a target is one URL/)
  assert.match(refusal(() => parseTargets(['# none', ''], 't.txt', { url: base, schema: 's' })).message, /names no target/)
  const badUrl = refusal(() => parseTargets(['postgres://u:p@h:99999/db'], 't.txt', { schema: 's' }))
  assert.match(badUrl.message, /^t\.txt:1: the database URL is not valid/)
})

test('changeUrl keeps user, password, hosts and parameters; a dbname parameter gives way to the new database', () => {
  const u = parseUrl(
    changeUrl('postgres://a:b@h/app?dbname=other&sslmode=disable', { database: 'tenant 1', params: { search_path: '"t", public' } }),
  )
  assert.is(u.database, 'tenant 1')
  assert.equal(u.params, { sslmode: 'disable', search_path: '"t", public' })
  assert.is(u.password, 'b')
})

test('--shard K/N: every target in exactly one slice; adding targets moves none of the others', () => {
  const names = Array.from({ length: 200 }, (_, i) => ({ name: `tenant_${i}` }))
  const slices = [1, 2, 3, 4].map((index) => takeShard(names, { index, count: 4 }))
  assert.is(slices.flat().length, 200)
  assert.is(new Set(slices.flat().map((t) => t.name)).size, 200)
  for (const slice of slices) assert.ok(slice.length > 30, `a fair share, got ${slice.length}`)
  const more = [...names, ...Array.from({ length: 50 }, (_, i) => ({ name: `new_${i}` }))]
  for (const [i, slice] of slices.entries()) {
    const after = takeShard(more, { index: i + 1, count: 4 }).filter((t) => names.includes(t))
    assert.equal(after, slice, `slice ${i + 1} keeps the same old targets`)
  }
  // The slice of a name is part of the contract: a matrix keeps its split across Strata versions.
  assert.equal(
    ['tenant_7', 'acme', 'globex'].map((n) => shardOf(n, 4)),
    [1, 2, 2],
  )
  assert.equal(parseShard('2/4'), { index: 2, count: 4 })
  for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) assert.match(refusal(() => parseShard(bad)).message, /--shard/)
})

test('a tenant ledger is <schema>_<tenant>, or a plain, short name with a hash when the tenant name is not', () => {
  assert.is(tenantLedger('strata', 'acme'), 'strata_acme')
  const odd = tenantLedger('strata', 'Acme-Corp')
  assert.match(odd, /^strata_Acme_Corp_[0-9a-f]{8}$/)
  assert.is.not(tenantLedger('strata', 'Acme_Corp'), odd, 'a - and a _ do not collide')
  const long = tenantLedger('strata', 'x'.repeat(63))
  assert.ok(long.length <= 63)
  assert.is.not(long, tenantLedger('strata', 'x'.repeat(62)))
})

test.run()
