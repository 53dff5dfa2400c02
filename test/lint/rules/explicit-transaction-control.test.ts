import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'explicit-transaction-control'

test('reports BEGIN, COMMIT, ROLLBACK and their spellings', async () => {
  const file = sql('BEGIN;', 'CREATE TABLE IF NOT EXISTS t (id int);', 'COMMIT;', 'START TRANSACTION;', 'ROLLBACK;', 'END;')
  assert.equal(await hits(rule, file), ['1:1', '3:1', '4:1', '5:1', '6:1'])
})

test('accepts savepoints, and BEGIN inside a function or DO body', async () => {
  const file = sql(
    'SAVEPOINT before_backfill;',
    'RELEASE SAVEPOINT before_backfill;',
    'DO $$ BEGIN PERFORM 1; END $$;',
    'CREATE OR REPLACE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
