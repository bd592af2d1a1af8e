import {expect} from 'chai'
import {pollUntil, retry} from '../../src/lib/retry.js'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  expect.fail('expected a rejection')
}

describe('retry and pollUntil', () => {
  describe('pollUntil', () => {
    it('checks until done, waiting between checks, and returns the value that is done', async () => {
      let calls = 0
      const started = Date.now()
      const value = await pollUntil(() => ++calls, (n) => n === 3, {timeoutMs: 5000, intervalMs: 20})
      expect(value).to.equal(3)
      expect(calls).to.equal(3)
      expect(Date.now() - started).to.be.at.least(35)
    })

    it('returns the last value when the time is up, after one more check past the deadline', async () => {
      const seen: number[] = []
      const started = Date.now()
      const last = await pollUntil(() => seen.push(Date.now() - started), () => false, {timeoutMs: 60, intervalMs: 25})
      expect(last).to.equal(seen.length)
      expect(seen.length).to.be.at.least(2)
      expect(seen.at(-1)).to.be.at.least(60)
    })

    it('timeoutMs 0 checks once and never waits', async () => {
      let calls = 0
      const started = Date.now()
      expect(await pollUntil(() => (calls++, 'not yet'), () => false, {timeoutMs: 0, intervalMs: 10_000})).to.equal('not yet')
      expect(calls).to.equal(1)
      expect(Date.now() - started).to.be.lessThan(1000)
    })

    it('asks a backoff for each wait with the number of checks made so far', async () => {
      const asked: number[] = []
      let calls = 0
      await pollUntil(() => ++calls, (n) => n === 4, {timeoutMs: 5000, intervalMs: (checks) => (asked.push(checks), 1)})
      expect(asked).to.deep.equal([1, 2, 3])
    })

    it('an error from the check ends the polling and is thrown as it is', async () => {
      const boom = new Error('boom')
      let calls = 0
      const error = await rejection(pollUntil(async () => {
        if (++calls === 2) throw boom
        return false
      }, (done) => done, {timeoutMs: 5000, intervalMs: 1}))
      expect(error).to.equal(boom)
      expect(calls).to.equal(2)
    })

    it('an abort ends a wait at once with the signal\'s reason', async () => {
      const controller = new AbortController()
      const reason = new Error('stop')
      setTimeout(() => controller.abort(reason), 30)
      const started = Date.now()
      let calls = 0
      const error = await rejection(pollUntil(() => ++calls, () => false, {timeoutMs: 60_000, intervalMs: 10_000, signal: controller.signal}))
      expect(error).to.equal(reason)
      expect(calls).to.equal(1)
      expect(Date.now() - started).to.be.lessThan(2000)
    })

    it('an aborted signal stops before the first check', async () => {
      let calls = 0
      const error = await rejection(pollUntil(() => ++calls, () => true, {timeoutMs: 1000, intervalMs: 1, signal: AbortSignal.abort(new Error('gone'))}))
      expect(error).to.have.property('message', 'gone')
      expect(calls).to.equal(0)
    })
  })

  describe('retry', () => {
    it('returns what the first successful attempt gives, numbering attempts from 1', async () => {
      const seen: number[] = []
      const value = await retry(async (attempt) => {
        seen.push(attempt)
        if (attempt < 3) throw new Error(`failed ${attempt}`)
        return 'ok'
      }, {attempts: 5, delayMs: 1})
      expect(value).to.equal('ok')
      expect(seen).to.deep.equal([1, 2, 3])
    })

    it('rethrows the last error once no attempt is left, telling onRetry of each retried failure', async () => {
      const errors = [new Error('first'), new Error('second'), new Error('third')]
      const retried: [string, number][] = []
      const delays: number[] = []
      const error = await rejection(retry(async (attempt) => {
        throw errors[attempt - 1]
      }, {attempts: 3, delayMs: (attempt) => (delays.push(attempt), 1), onRetry: (e, attempt) => retried.push([(e as Error).message, attempt])}))
      expect(error).to.equal(errors[2])
      expect(retried).to.deep.equal([['first', 1], ['second', 2]])
      expect(delays).to.deep.equal([1, 2])
    })

    it('stops at the deadline and rethrows the last error', async () => {
      let calls = 0
      const started = Date.now()
      const error = await rejection(retry(async () => {
        throw new Error(`attempt ${++calls}`)
      }, {timeoutMs: 80, delayMs: 30}))
      expect(Date.now() - started).to.be.within(75, 2000)
      expect(error).to.have.property('message', `attempt ${calls}`)
      expect(calls).to.be.at.least(2)
    })

    it('an error retryIf refuses is thrown at once', async () => {
      class Permanent extends Error {}
      let calls = 0
      const error = await rejection(retry(async () => {
        calls++
        throw new Permanent('no')
      }, {attempts: 5, delayMs: 1, retryIf: (e) => !(e instanceof Permanent)}))
      expect(error).to.be.instanceOf(Permanent)
      expect(calls).to.equal(1)
    })

    it('an abort during the wait ends the retries with the signal\'s reason', async () => {
      const controller = new AbortController()
      let calls = 0
      setTimeout(() => controller.abort(new Error('interrupted')), 30)
      const started = Date.now()
      const error = await rejection(retry(async () => {
        calls++
        throw new Error('down')
      }, {attempts: 10, delayMs: 10_000, signal: controller.signal}))
      expect(error).to.have.property('message', 'interrupted')
      expect(calls).to.equal(1)
      expect(Date.now() - started).to.be.lessThan(2000)
    })
  })
})
