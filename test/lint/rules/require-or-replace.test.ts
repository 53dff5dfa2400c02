import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'require-or-replace'

test('reports functions, procedures and views without OR REPLACE', async () => {
  const file = sql(
    'CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    'CREATE PROCEDURE tidy() LANGUAGE sql AS $$ SELECT 1 $$;',
    'CREATE VIEW active_users AS SELECT 1;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1'])
})

test('accepts OR REPLACE, and a create after DROP ... IF EXISTS', async () => {
  const file = sql(
    'CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    'CREATE OR REPLACE PROCEDURE tidy() LANGUAGE sql AS $$ SELECT 1 $$;',
    'CREATE OR REPLACE VIEW active_users AS SELECT 1;',
    'DROP VIEW IF EXISTS totals;',
    'CREATE VIEW totals AS SELECT 2;',
    'DROP FUNCTION IF EXISTS two(int);',
    'CREATE FUNCTION two(n int) RETURNS int LANGUAGE sql AS $$ SELECT n $$;',
  )
  assert.equal(await hits(rule, file), [])
})

test('leaves CREATE TRIGGER to unguarded-create, so it is reported once', async () => {
  assert.equal(await hits(rule, 'CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();'), [])
})

test.run()
