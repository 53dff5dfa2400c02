/**
 * TLS, the way libpq users expect it: `sslmode` (and `sslrootcert`, `sslcert`, `sslkey`) in the URL,
 * plus `--ssl-ca <file>`. postgres.js understands only part of this (it treats verify-ca like verify-full
 * and sends the other ssl* parameters to the server as settings, which the server refuses), so we read
 * them here, take them out of the startup parameters and hand postgres.js its `ssl` option. Without sslmode,
 * a host across a network is tried with TLS first, as libpq does (`prefer`).
 */
import { readFileSync } from 'node:fs'
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import { StrataError } from '../errors.js'
import { isSupabaseHost } from './supabase.js'
import { connectionParams, type Endpoint } from './url.js'

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/** What postgres.js takes as `ssl`. */
export type DriverSsl = false | 'prefer' | 'require' | ConnectionOptions

export interface TlsSettings {
  /** The mode in force; undefined when TLS is not tried (a loopback host or a unix socket, and no sslmode). */
  mode?: SslMode
  ssl?: DriverSsl
  /** The URL's query parameters that go to the server as settings: the ones that are ours to read are taken out. */
  params: Record<string, string>
}

// libpq's TLS parameters and connect_timeout, and client-side pool settings from Prisma-style URLs
// (`?pgbouncer=true`, common in Supabase projects): none of them may reach the server as a startup setting.
const CLIENT_SIDE = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout', 'pgbouncer', 'connection_limit', 'pool_timeout']

export interface TlsOptions {
  sslCa?: string
  env?: NodeJS.ProcessEnv
  /** The host of the connection being made, for verify-full (a multi-host URL has several); default the first. */
  currentHost?: () => string
}

export function tlsSettings(url: string, { sslCa, env = process.env, currentHost }: TlsOptions = {}): TlsSettings {
  const conn = connectionParams(url, env)
  const param = (key: string) => conn.params[key]
  const rootCert = sslCa ?? param('sslrootcert')
  const mode = chooseMode(param('sslmode') ?? (env.PGSSLMODE || undefined), rootCert, conn.endpoints)
  const params = { ...conn.params }
  for (const key of CLIENT_SIDE) delete params[key]
  const host = currentHost ?? (() => conn.endpoints[0].host)
  return { mode, ssl: mode && driverSsl(mode, host, rootCert, param('sslcert'), param('sslkey')), params }
}

/** The TLS mode a URL (and --ssl-ca) asks for, without reading any certificate file; undefined when unreadable. */
export function sslModeOf(url: string, sslCa?: string, env: NodeJS.ProcessEnv = process.env): SslMode | undefined {
  try {
    const conn = connectionParams(url, env)
    return chooseMode(conn.params.sslmode ?? (env.PGSSLMODE || undefined), sslCa ?? conn.params.sslrootcert, conn.endpoints)
  } catch {
    return undefined
  }
}

function chooseMode(given: string | undefined, rootCert: string | undefined, endpoints: Endpoint[]): SslMode | undefined {
  if (given !== undefined) {
    if (!(SSL_MODES as readonly string[]).includes(given)) {
      throw new StrataError('config', `sslmode=${given} in the database URL is not one of ${SSL_MODES.join(', ')}`)
    }
    // libpq: with a root certificate at hand, require also verifies the chain.
    return given === 'require' && rootCert ? 'verify-ca' : (given as SslMode)
  }
  if (rootCert) return 'verify-full' // a CA was given to be used
  if (endpoints.some((e) => isSupabaseHost(e.host))) return 'require'
  // libpq's default, prefer: a password or data never cross a network in clear text only because the URL omitted
  // sslmode. Loopback and unix sockets never leave the machine; TLS there would only cost a round trip.
  if (endpoints.some((e) => !e.socket && !isLoopback(e.host))) return 'prefer'
  return undefined
}

/** localhost, 127.0.0.0/8 and ::1 (also IPv4-mapped): traffic that never leaves the machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '')
  return h === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h)
}

function driverSsl(
  mode: SslMode,
  host: () => string,
  rootCert: string | undefined,
  cert: string | undefined,
  key: string | undefined,
): DriverSsl {
  if (mode === 'disable') return false
  if (mode === 'allow' || mode === 'prefer') return 'prefer'
  const client: ConnectionOptions = {
    ...(cert && { cert: readPem(cert, 'sslcert') }),
    ...(key && { key: readPem(key, 'sslkey') }),
  }
  if (mode === 'require') return cert || key ? { ...client, rejectUnauthorized: false } : 'require'
  // verify-ca and verify-full check the chain against the given CA, else Node's bundled public CAs.
  const ca = rootCert && rootCert !== 'system' ? { ca: readPem(rootCert, 'CA certificate') } : {}
  const verifyChain: ConnectionOptions = { ...client, ...ca, rejectUnauthorized: true }
  // verify-ca: the chain only; the certificate may name another host.
  if (mode === 'verify-ca') return { ...verifyChain, checkServerIdentity: () => undefined }
  // verify-full: the host being connected to. postgres.js hands Node no host name for an IP address, and Node
  // then checks the certificate against "localhost"; an IP must match the certificate's IP addresses.
  return { ...verifyChain, checkServerIdentity: (_: string, peer: PeerCertificate) => checkServerIdentity(host(), peer) }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (e) {
    throw new StrataError('config', `cannot read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint:
        what === 'CA certificate'
          ? 'pass --ssl-ca with the path of a PEM file (for Supabase: Project Settings > Database > SSL Configuration)'
          : undefined,
    })
  }
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
])

/** A sentence and a hint for a failure that happened in or because of TLS; undefined for any other failure. */
export function tlsFailure(
  e: { code?: string; message?: string },
  mode: SslMode | undefined,
): { message: string; hint: string } | undefined {
  const code = e.code ?? ''
  const message = e.message ?? ''
  if (mode && code === 'ECONNRESET' && /before secure TLS connection/.test(message)) {
    return {
      message: `the server does not accept TLS connections (sslmode=${mode})`,
      hint: 'turn TLS on at the server, or connect with sslmode=disable only on a network you trust',
    }
  }
  if (UNTRUSTED.has(code)) {
    return {
      message: `the server's TLS certificate is not signed by a trusted CA (${code}, sslmode=${mode})`,
      hint: 'pass --ssl-ca <file> with the CA that signed it (Supabase: Project Settings > Database > SSL Configuration), or use sslmode=require to encrypt without verifying',
    }
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      message: `the server's TLS certificate was issued for another host name (sslmode=${mode}): ${message}`,
      hint: 'connect with the host name the certificate names, or use sslmode=verify-ca to verify the CA without the host name',
    }
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return { message: `the server's TLS certificate is not valid now (${code})`, hint: 'renew the server certificate' }
  }
  // pg_hba.conf `hostssl` only (28000 "no encryption"), or Supavisor with SSL enforced (XX000): a plain connection is refused.
  if (!mode || mode === 'disable') {
    if (/no encryption|SSL connection is required/i.test(message)) {
      return { message, hint: 'the server accepts only TLS connections: add ?sslmode=require to the URL (or verify-full with --ssl-ca)' }
    }
  }
  return undefined
}
