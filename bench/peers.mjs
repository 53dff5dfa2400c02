// The peers we measure against, installed on first use with `npm install --no-save`: dbmate and squawk-cli ship
// their binaries in per-platform packages, and a lock file that names them for every platform cannot be
// installed with `npm ci` from a registry that serves only some platforms. Users of pgstrata never need them.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const PEERS = { dbmate: 'dbmate@2.36.0', squawk: 'squawk-cli@2.66.0' }

/** All of them at once: `npm install --no-save` removes the packages it was not asked for, earlier peers included. */
export function ensurePeers(names = Object.keys(PEERS)) {
  const missing = names.filter((name) => !existsSync(join(root, 'node_modules/.bin', name)))
  if (!missing.length) return
  const all = Object.values(PEERS)
  console.error(`installing ${all.join(', ')} (--no-save) for the benchmark`)
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', ...all], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) console.error('could not install them: those rows will be missing')
}
