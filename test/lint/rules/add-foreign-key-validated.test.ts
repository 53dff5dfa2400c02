import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'add-foreign-key-validated'

test('reports a foreign key added without NOT VALID, at the constraint', async () => {
  const file = sql(
    'ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
    'ALTER TABLE orders ADD COLUMN shop_id int REFERENCES shops (id);',
  )
  assert.equal(await hits(rule, file), ['1:24', '2:43'])
})

test('accepts NOT VALID, VALIDATE CONSTRAINT, other constraints, and tables created in the same file', async () => {
  const file = sql(
    'ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fkey;',
    'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;',
    'CREATE TABLE IF NOT EXISTS payments (id int, order_id int);',
    'ALTER TABLE payments ADD CONSTRAINT payments_order_fkey FOREIGN KEY (order_id) REFERENCES orders (id);',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
