import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'delete-without-where'

test('reports DELETE without WHERE, also inside a WITH clause', async () => {
  const file = sql(
    'DELETE FROM sessions;',
    'DELETE FROM sessions USING users;',
    'WITH gone AS (DELETE FROM tokens RETURNING id) SELECT count(*) FROM gone;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:27'])
})

test('DELETE ... WHERE is not delete-without-where', async () => {
  const file = sql(
    'DELETE FROM sessions WHERE expires_at < now();',
    'DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.deleted;',
    'WITH gone AS (DELETE FROM tokens WHERE revoked RETURNING id) SELECT count(*) FROM gone;',
  )
  assert.equal(await hits(rule, file), [])
})

test('a DELETE in a rule action or a SQL function body does not run now', async () => {
  const file = sql(
    'CREATE RULE purge AS ON INSERT TO log DO ALSO DELETE FROM cache;',
    'CREATE FUNCTION clear() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM cache; END;',
    'CREATE TABLE scratch (id int);',
    'DELETE FROM scratch;',
  )
  assert.equal(await hits(rule, file), [])
})

test('looks into DO blocks', async () => {
  const file = sql('DO $$ BEGIN', '  DELETE FROM sessions;', '  DELETE FROM tokens WHERE expired;', 'END $$;')
  assert.equal(await hits(rule, file), ['2:3'])
})

test.run()
