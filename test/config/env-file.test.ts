import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { StrataError } from '../../src/index.js'
import { loadEnvFile, parseEnvFile } from '../../src/config/env-file.js'
import { project } from '../support/project.js'

test('KEY=value lines, with export, spaces around =, empty values and = inside values', () => {
  const vars = parseEnvFile(
    [
      'DATABASE_URL=postgres://app:pw@db:5432/app?sslmode=require',
      'export STRATA_DIR=db/migrations',
      '  STRATA_SCHEMA =  ledger  ',
      'EMPTY=',
      'EMPTY_QUOTED=""',
      'EQUALS=a=b==c',
    ].join('\n'),
  )
  assert.equal(vars, {
    DATABASE_URL: 'postgres://app:pw@db:5432/app?sslmode=require',
    STRATA_DIR: 'db/migrations',
    STRATA_SCHEMA: 'ledger',
    EMPTY: '',
    EMPTY_QUOTED: '',
    EQUALS: 'a=b==c',
  })
})

test('# comments: whole lines, and after whitespace in unquoted values; a # inside a word or in quotes stays', () => {
  const vars = parseEnvFile(
    [
      '# the database',
      '   # indented comment',
      'A=one # trailing',
      'B=pass#word',
      'C="x # not a comment" # but this is',
      "D='#hash'",
      'E=#all comment',
    ].join('\n'),
  )
  assert.equal(vars, { A: 'one', B: 'pass#word', C: 'x # not a comment', D: '#hash', E: '' })
})

test('single quotes and backticks are literal; double quotes expand \\n, \\t, \\" and \\\\', () => {
  const vars = parseEnvFile(
    [String.raw`S='a\nb "c"'`, 'T=`it\'s "both"`', String.raw`D="line1\nline2\ttab \"q\" back\\slash"`, String.raw`U=raw\n`].join('\n'),
  )
  assert.equal(vars, {
    S: String.raw`a\nb "c"`,
    T: `it's "both"`,
    D: 'line1\nline2\ttab "q" back\\slash',
    U: String.raw`raw\n`,
  })
})

test('quoted values may span lines; CRLF files and a BOM read the same', () => {
  const text = '\uFEFFKEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\nSINGLE=\'x\ny\'\n'
  const expected = { KEY: '-----BEGIN-----\nabc\n-----END-----', NEXT: '1', SINGLE: 'x\ny' }
  assert.equal(parseEnvFile(text), expected)
  assert.equal(parseEnvFile(text.replace(/\n/g, '\r\n')), expected)
})

test('a later line wins over an earlier one; lines that are not assignments are skipped', () => {
  assert.equal(parseEnvFile('A=1\nnot an assignment\nA=2\n'), { A: '2' })
})

test('a quote that is never closed is a configuration error naming the file and line', () => {
  try {
    parseEnvFile('A=1\nB="open\nC=3\n', 'prod.env')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, StrataError)
    assert.is((e as StrataError).code, 'config')
    assert.match((e as StrataError).message, /^prod\.env:2: the value of B opens a " quote that is never closed/)
  }
})

test('variables already set in the environment win over the file; --env-file must exist, .env need not', () => {
  const cwd = project({ '.env': 'A=from-file\nB=from-file\n', 'other.env': 'C=other\n' })
  const env: NodeJS.ProcessEnv = { A: 'from-shell', EMPTY_BUT_SET: '' }
  writeFileSync(`${cwd}/.env`, 'A=from-file\nB=from-file\nEMPTY_BUT_SET=file\n')
  loadEnvFile(undefined, cwd, env)
  assert.equal(env, { A: 'from-shell', B: 'from-file', EMPTY_BUT_SET: '' })
  loadEnvFile('other.env', cwd, env)
  assert.is(env.C, 'other')
  loadEnvFile(undefined, project({}), env) // no .env: nothing happens
  try {
    loadEnvFile('nope.env', cwd, env)
    assert.unreachable()
  } catch (e) {
    assert.is((e as StrataError).code, 'config')
    assert.match((e as StrataError).message, /--env-file nope\.env does not exist/)
  }
})

test.run()
