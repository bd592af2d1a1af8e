import {retry} from '../retry.js'

/** Exponential backoff: attempt 1 at once, then after base, 2×base, 4×base… (capped), with ±20 % jitter. */
export interface RetryPolicy {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {attempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000}

/** An error that retrying cannot fix (a 4xx answer, a bad address): given up on at once. */
export class PermanentError extends Error {}

export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const plain = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.round(plain * (0.8 + Math.random() * 0.4))
}

export interface RetryOutcome {
  ok: boolean
  attempts: number
  error?: string
}

export async function withRetry(fn: () => Promise<void>, policy: RetryPolicy, onRetry?: (attempt: number, error: unknown) => void): Promise<RetryOutcome> {
  let attempts = 0
  try {
    await retry(
      (attempt) => {
        attempts = attempt
        return fn()
      },
      {
        attempts: policy.attempts,
        delayMs: (attempt) => backoffDelay(policy, attempt),
        retryIf: (error) => !(error instanceof PermanentError),
        onRetry: (error, attempt) => onRetry?.(attempt, error),
      },
    )
    return {ok: true, attempts}
  } catch (error) {
    return {ok: false, attempts, error: (error as Error).message ?? String(error)}
  }
}
