// Preloaded into a CLI process (NODE_OPTIONS=--import) by tests that need a host name that is not loopback by
// name: every `*.strata.test` name resolves to 127.0.0.1, and any other name fails without asking a name server.
// So a test can exercise what Strata does for a host across a network without sending traffic anywhere else.
import dns from 'node:dns'

const original = dns.lookup
dns.lookup = function lookup(host, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}]
  const local = host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':')
  if (local) return original.call(this, host, options, callback)
  if (!/\.strata\.test$/.test(host)) {
    const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host })
    return process.nextTick(callback, e)
  }
  if (options?.all) return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }])
  return process.nextTick(callback, null, '127.0.0.1', 4)
}
