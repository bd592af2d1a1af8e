/**
 * Where and how to connect: everything the SSH layer needs about one host. Built from a
 * HostRecord (src/lib/hosts) or by tests; the SSH layer never reads the state store.
 */
export interface SshTarget {
  /** The odoops host name (used in messages and as the pool key). */
  name: string
  address: string
  port: number
  user: string
  identityFile?: string
  /** Pinned host key fingerprint (`SHA256:…`). Absent only while a host is being added. */
  hostKey?: string
  /** Reach this host through another one (ProxyJump). */
  jump?: SshTarget
}

/** `user@address:port` (with the jump chain), for messages. */
export function describeTarget(target: SshTarget): string {
  const self = `${target.user}@${target.address}:${target.port}`
  return target.jump ? `${self} via ${describeTarget(target.jump)}` : self
}

/** One pool entry per distinct endpoint and pin, so a re-pinned host gets a fresh connection. */
export function poolKey(target: SshTarget): string {
  const own = `${target.name}|${target.user}@${target.address}:${target.port}|${target.hostKey ?? '-'}|${target.identityFile ?? '-'}`
  return target.jump ? `${own}>${poolKey(target.jump)}` : own
}
