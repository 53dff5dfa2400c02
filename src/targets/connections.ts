/**
 * The connections of a fan-out: never more than `capacity` open at once (--concurrency), and a target's
 * connection kept for the next target on the same database, so that a thousand tenant schemas cost a few
 * logins instead of a thousand. A kept connection is reset first (RESET): whatever a file changed in its session
 * stays with its tenant. Not DISCARD ALL: behind a transaction pooler it would also drop the prepared statements
 * the pooler keeps on that server connection for other clients. It is closed at once when someone waits for a slot.
 */
import type { ConnectionBudget, Target } from '../db/target.js'
import { StrataError } from '../errors.js'

/** Settings (role included, which RESET ALL leaves), the session user, and temporary tables, which come first in search_path. */
export const RESET = 'reset all; reset role; set session authorization default; discard temp;'

export class Connections implements ConnectionBudget {
  /** Slots taken: open connections, kept ones included. */
  private taken = 0
  private waiting: (() => void)[] = []
  private kept: { key: string; target: Target }[] = []
  private closed = false

  /** `shareable`: whether targets share databases (tenant schemas); a database per target has nothing to keep a connection for. */
  constructor(
    readonly capacity: number,
    private readonly shareable = true,
  ) {}

  get inUse(): number {
    return this.taken
  }

  async acquire(): Promise<() => void> {
    if (this.taken < this.capacity) {
      this.taken++
      return this.releaser()
    }
    const spare = this.kept.shift()
    if (!spare && this.capacity === 1) {
      throw new StrataError('usage', '--concurrency 1 allows one connection, and a no-transaction file needs a second one for its claim', {
        hint: 'use --concurrency 2 or more',
      })
    }
    const given = new Promise<void>((resolve) => this.waiting.push(resolve)) // a slot passes straight from its releaser
    if (spare) await spare.target.close()
    await given
    return this.releaser()
  }

  reuse(key: string): Target | undefined {
    const i = this.kept.findIndex((k) => k.key === key)
    return i < 0 ? undefined : this.kept.splice(i, 1)[0].target
  }

  async keep(key: string, target: Target): Promise<void> {
    if (this.waiting.length || this.closed || !this.shareable) return target.close()
    try {
      await target.sql.unsafe(RESET) // fails inside a transaction or on a lost connection: then close it
    } catch {
      return target.close()
    }
    if (this.waiting.length || this.closed) return target.close()
    this.kept.push({ key, target })
  }

  /** Close every kept connection, and from now on every connection given back (the fan-out is over). */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.kept.splice(0).map((k) => k.target.close()))
  }

  private releaser(): () => void {
    let given = false
    return () => {
      if (given) return
      given = true
      const next = this.waiting.shift()
      if (next) next()
      else this.taken--
    }
  }
}
