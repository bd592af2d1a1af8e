/**
 * What cron lines and the unit pass as --state: the store location this run used when it
 * came from --state or ODOOPS_STATE (a `state` setting is read from the config dir by the
 * job itself). Locations are printed without a password; `passwordDropped` says when the
 * given one had one, which the job must then find in ~/.pgpass or PGPASSWORD.
 */
export function stateArgument(given: string | undefined, location: string): {state?: string; passwordDropped: boolean} {
  if (!given) return {passwordDropped: false}
  let passwordDropped = false
  try {
    passwordDropped = /^postgres(ql)?:/i.test(given) && new URL(given).password !== ''
  } catch {
    // not a URL: a directory
  }
  return {state: location, passwordDropped}
}
