import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'add-check-validated'

test('reports a CHECK added to an existing table or domain without NOT VALID, at the constraint', async () => {
  const file = sql(
    'ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0);',
    'ALTER DOMAIN positive ADD CONSTRAINT above_zero CHECK (VALUE > 0);',
  )
  assert.equal(await hits(rule, file), ['1:26', '2:27'])
})

test('accepts NOT VALID, validation, other constraints, and tables or domains the file created', async () => {
  const file = sql(
    'ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0) NOT VALID;',
    'ALTER DOMAIN positive ADD CONSTRAINT above_zero CHECK (VALUE > 0) NOT VALID;',
    'ALTER DOMAIN positive VALIDATE CONSTRAINT above_zero;',
    'CREATE TABLE IF NOT EXISTS ledger (amount int);',
    'ALTER TABLE ledger ADD CONSTRAINT amount_positive CHECK (amount > 0);',
    'CREATE DOMAIN IF NOT EXISTS cents AS int;',
    'CREATE DOMAIN cents2 AS int;',
    'ALTER DOMAIN cents2 ADD CONSTRAINT c CHECK (VALUE >= 0);',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
