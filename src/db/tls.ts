/**
 * TLS, the way libpq users expect it: `sslmode` (and `sslrootcert`, `sslcert`, `sslkey`) in the URL,
 * plus `--ssl-ca <file>`. postgres.js understands only part of this (it treats verify-ca like verify-full
 * and sends the other ssl* parameters to the server as settings, which the server refuses), so we read
 * them here, take them out of the URL and hand postgres.js its `ssl` option.
 */
import { readFileSync } from 'node:fs'
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import { StrataError } from '../errors.js'
import { isSupabaseHost } from './supabase.js'

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/** What postgres.js takes as `ssl`. */
export type DriverSsl = false | 'prefer' | 'require' | ConnectionOptions

export interface TlsSettings {
  /** The URL without the parameters that are ours to interpret. */
  url: string
  /** The mode in force; undefined when nothing asked for TLS (plain TCP, as before). */
  mode?: SslMode
  ssl?: DriverSsl
}

// libpq's TLS parameters, and client-side pool settings from Prisma-style URLs (`?pgbouncer=true`,
// common in Supabase projects): none of them may reach the server as a startup setting.
const CLIENT_SIDE = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'pgbouncer', 'connection_limit', 'pool_timeout']

export function tlsSettings(url: string, { sslCa }: { sslCa?: string } = {}): TlsSettings {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return { url } // several hosts, or not a URL: leave it all to the driver
  }
  const param = (key: string) => u.searchParams.get(key) ?? undefined
  const rootCert = sslCa ?? param('sslrootcert')
  const mode = chooseMode(param('sslmode'), rootCert, u.hostname)
  for (const key of CLIENT_SIDE) u.searchParams.delete(key)
  return { url: u.toString(), mode, ssl: mode && driverSsl(mode, u.hostname, rootCert, param('sslcert'), param('sslkey')) }
}

/** The TLS mode a URL (and --ssl-ca) asks for, without reading any certificate file. */
export function sslModeOf(url: string, sslCa?: string): SslMode | undefined {
  try {
    const u = new URL(url)
    return chooseMode(u.searchParams.get('sslmode') ?? undefined, sslCa ?? u.searchParams.get('sslrootcert') ?? undefined, u.hostname)
  } catch {
    return undefined
  }
}

function chooseMode(given: string | undefined, rootCert: string | undefined, host: string): SslMode | undefined {
  if (given !== undefined) {
    if (!(SSL_MODES as readonly string[]).includes(given)) {
      throw new StrataError('config', `sslmode=${given} in the database URL is not one of ${SSL_MODES.join(', ')}`)
    }
    // libpq: with a root certificate at hand, require also verifies the chain.
    return given === 'require' && rootCert ? 'verify-ca' : (given as SslMode)
  }
  if (rootCert) return 'verify-full' // a CA was given to be used
  if (isSupabaseHost(host)) return 'require'
  return undefined
}

function driverSsl(
  mode: SslMode,
  host: string,
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
  // verify-full: the host from the URL. postgres.js hands Node no host for an IP address, and Node then
  // checks the certificate against "localhost"; an IP must match the certificate's IP addresses.
  const name = host.replace(/^\[(.*)\]$/, '$1')
  return { ...verifyChain, checkServerIdentity: (_: string, peer: PeerCertificate) => checkServerIdentity(name, peer) }
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
