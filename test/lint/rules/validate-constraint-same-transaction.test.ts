import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'validate-constraint-same-transaction'

test('reports VALIDATE of a constraint added NOT VALID earlier in the same file', async () => {
  const file = sql(
    'ALTER TABLE email ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    'ALTER TABLE email VALIDATE CONSTRAINT fk_user;',
    'ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;',
    'SELECT 1;',
    'ALTER TABLE accounts VALIDATE CONSTRAINT positive;',
  )
  assert.equal(await hits(rule, file), ['2:1', '5:1'])
})

test('accepts a VALIDATE of a constraint added in an earlier file, after a COMMIT, in a no-transaction file, or on a new table', async () => {
  assert.equal(await hits(rule, 'ALTER TABLE email VALIDATE CONSTRAINT fk_user;'), [])
  const committed = sql(
    'ALTER TABLE email ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    'COMMIT;',
    'ALTER TABLE email VALIDATE CONSTRAINT fk_user;',
  )
  assert.equal(await hits(rule, committed), [])
  const noTransaction = sql(
    '-- strata:no-transaction',
    'ALTER TABLE email ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    'ALTER TABLE email VALIDATE CONSTRAINT fk_user;',
  )
  assert.equal(await hits(rule, noTransaction), [])
  const newTable = sql(
    'CREATE TABLE IF NOT EXISTS ledger (amount int);',
    'ALTER TABLE ledger ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID;',
    'ALTER TABLE ledger VALIDATE CONSTRAINT positive;',
  )
  assert.equal(await hits(rule, newTable), [])
})

test.run()
