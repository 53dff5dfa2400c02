/** Connection URLs: shown to people only with the password masked. */

export function maskUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '****'
    for (const key of ['password', 'sslpassword']) if (u.searchParams.has(key)) u.searchParams.set(key, '****')
    return u.toString()
  } catch {
    // Not a URL we can parse: hide anything that looks like user:password@.
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1****@')
  }
}

/** Remove every occurrence of the secrets in `url` from a text (error messages from drivers, servers). */
export function scrubSecrets(text: string, url: string | undefined): string {
  if (!url) return text
  const { secrets, masked } = scrubbing(url)
  let out = text
  for (const secret of secrets) out = out.split(secret).join('****')
  return out.split(url).join(masked)
}

// Every line the CLI prints is scrubbed (5,000 for `status` on a long history): parse the URL once, not per line.
let last: { url: string; secrets: string[]; masked: string } | undefined
function scrubbing(url: string): { secrets: string[]; masked: string } {
  if (last?.url !== url) last = { url, secrets: secretsOf(url), masked: maskUrl(url) }
  return last
}

function secretsOf(url: string): string[] {
  try {
    const u = new URL(url)
    const raw = [u.password, decodeURIComponent(u.password), u.searchParams.get('password') ?? '']
    return [...new Set(raw.filter((s) => s.length >= 3))]
  } catch {
    const m = /\/\/[^:/@]*:([^@]*)@/.exec(url)
    return m && m[1].length >= 3 ? [m[1]] : []
  }
}

export interface Target {
  host: string
  port: string
  database: string
  user: string
}

export function describeTarget(url: string): Target {
  const u = new URL(url)
  return {
    host: decodeURIComponent(u.hostname) || 'localhost',
    port: u.port || '5432',
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
    user: decodeURIComponent(u.username) || 'postgres',
  }
}
