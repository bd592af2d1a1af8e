import {setTimeout as sleep} from 'node:timers/promises'

/**
 * Waiting for something to happen, and trying again after a failure: the one loop behind
 * every "check, wait, check again" of odoops. Waits are abortable (node:timers/promises with
 * the caller's AbortSignal): an abort ends the loop at once with `signal.reason`, as
 * `signal.throwIfAborted()` does.
 */

/** A wait between two calls: fixed, or by the number of calls made so far (1 after the first), for a backoff. */
export type Delay = number | ((calls: number) => number)

export interface PollOptions {
  /**
   * Time allowed from the first check, in ms. Checked after a check that is not done, so
   * the check after the last wait still runs: 0 checks once and never waits.
   */
  timeoutMs: number
  /** The wait between two checks. */
  intervalMs: Delay
  /** Aborts before a check and during a wait. */
  signal?: AbortSignal
}

/**
 * Calls `check` until `isDone` accepts what it gives or the time is up, waiting `intervalMs`
 * between calls, and returns the last value either way (test it again to tell which). An
 * error thrown by `check` ends the polling and is thrown as it is.
 */
export async function pollUntil<T>(check: () => T | Promise<T>, isDone: (value: T) => boolean, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  const {signal} = options
  for (let calls = 1; ; calls++) {
    signal?.throwIfAborted()
    const value = await check()
    if (isDone(value) || Date.now() >= deadline) return value
    await wait(delayOf(options.intervalMs, calls), signal)
  }
}

export interface RetryOptions {
  /** Most calls in all, the first included (default: no limit; `timeoutMs` then bounds them). */
  attempts?: number
  /** No new attempt once this many ms have passed since the first one began (default: no limit). */
  timeoutMs?: number
  /** The wait before the next attempt, by the number of the attempt that just failed (1 for the first). */
  delayMs: Delay
  /** Whether this error is worth another attempt (default: every error is); one that is not is thrown at once. */
  retryIf?: (error: unknown, attempt: number) => boolean
  /** Told of each failed attempt that will be tried again, before the wait. */
  onRetry?: (error: unknown, attempt: number) => void
  /** Aborts before an attempt and during a wait. */
  signal?: AbortSignal
}

/**
 * Calls `fn` (with the attempt's number, from 1) until it resolves, and returns what it gives.
 * When no attempt is left, the time is up or `retryIf` says no, the last error is thrown as it is.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? Infinity)
  const attempts = options.attempts ?? Infinity
  let attempt = 0
  const outcome = await pollUntil(
    async (): Promise<{ok: true; value: T} | {ok: false}> => {
      attempt++
      try {
        return {ok: true, value: await fn(attempt)}
      } catch (error) {
        if (attempt >= attempts || Date.now() >= deadline || !(options.retryIf?.(error, attempt) ?? true)) throw error
        options.onRetry?.(error, attempt)
        return {ok: false}
      }
    },
    (result) => result.ok,
    {timeoutMs: Infinity, intervalMs: options.delayMs, signal: options.signal},
  )
  // The poll only stops on success here: every failure that ends the retries was thrown above.
  return (outcome as {ok: true; value: T}).value
}

function delayOf(delay: Delay, calls: number): number {
  return typeof delay === 'number' ? delay : delay(calls)
}

/** `ms` of waiting that an abort ends at once, with the signal's reason. */
async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? {signal} : undefined)
  } catch (error) {
    signal?.throwIfAborted()
    throw error
  }
}
