import {realpathSync} from 'node:fs'
import {Notifier} from '../notify/notifier.js'
import type {RetryPolicy} from '../notify/retry.js'
import type {SecretSource} from '../notify/secrets.js'
import type {EmitFn} from './events.js'
import type {LoadedSchedule} from './types.js'

/** How to call this very odoops from cron or systemd: absolute node and script paths (their PATH is minimal). */
export function selfInvocation(argv: readonly string[] = process.argv, execPath = process.execPath): string[] {
  let script = argv[1] ?? 'odoops'
  try {
    script = realpathSync(script)
  } catch {
    // keep as given
  }
  return [execPath, script]
}

/** Where this run found its directories, for cron/systemd to find the same ones (paths, never secrets). */
export function dirsEnv(dirs: {configDir: string; dataDir: string; cacheDir: string}): Record<string, string> {
  return {ODOOPS_CONFIG_DIR: dirs.configDir, ODOOPS_DATA_DIR: dirs.dataDir, ODOOPS_CACHE_DIR: dirs.cacheDir}
}

/** The notifier of a schedule, logging each delivery as an event (never its secrets). */
export function scheduleNotifier(loaded: LoadedSchedule, secrets: SecretSource, emit: EmitFn, retry?: RetryPolicy): Notifier {
  return new Notifier({
    ...secrets,
    channels: loaded.schedule.channels ?? {},
    ...(retry ? {retry} : {}),
    onReport: (r) => emit({event: r.ok ? 'notify-sent' : 'notify-failed', channel: r.channel, channelType: r.type, notice: r.notice, attempts: r.attempts, ...(r.error ? {reason: r.error} : {})}),
  })
}
