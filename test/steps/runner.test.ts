import {expect} from 'chai'
import {StepFailedError, runSteps, type Step, type StepRecord} from '../../src/lib/steps/runner.js'
import {REDACTED, registerSecret} from '../../src/lib/secrets/redact.js'
import {newTestSecret} from '../helpers/secrets.js'

describe('recorded plans', () => {
  function steps(log: string[], failAt?: string): Step<object>[] {
    return ['a', 'b', 'c'].map((name) => ({
      name,
      title: `step ${name}`,
      async run() {
        log.push(name)
        if (name === failAt) throw new Error(`boom in ${name}`)
        return name === 'b' ? 'unchanged' : undefined
      },
    }))
  }

  it('saves each step and resumes after the failed one without redoing done steps', async () => {
    const saved: StepRecord[][] = []
    const log: string[] = []
    let failure: unknown
    try {
      await runSteps(steps(log, 'b'), {}, {save: async (r) => void saved.push(r)})
    } catch (error) {
      failure = error
    }
    expect(failure).to.be.instanceOf(StepFailedError)
    expect((failure as StepFailedError).step).to.equal('b')
    const last = saved.at(-1)!
    expect(last.map((r) => r.state)).to.deep.equal(['done', 'failed', 'pending'])
    expect(last[1].error).to.equal('boom in b')

    const resumedLog: string[] = []
    const records = await runSteps(steps(resumedLog), {}, {previous: last, save: async () => {}})
    expect(resumedLog).to.deep.equal(['b', 'c'])
    expect(records.map((r) => [r.state, r.change])).to.deep.equal([['done', 'changed'], ['done', 'unchanged'], ['done', 'changed']])
  })

  it('treats a step left "running" by a killed process as not done', async () => {
    const log: string[] = []
    await runSteps(steps(log), {}, {previous: [{name: 'a', state: 'done'}, {name: 'b', state: 'running'}], save: async () => {}})
    expect(log).to.deep.equal(['b', 'c'])
  })

  it('stops before the next step once aborted', async () => {
    const controller = new AbortController()
    const log: string[] = []
    const plan = steps(log)
    plan[0].run = async () => {
      log.push('a')
      controller.abort(new Error('stop'))
    }
    let failure: unknown
    await runSteps(plan, {}, {save: async () => {}, signal: controller.signal}).catch((error) => (failure = error))
    expect(log).to.deep.equal(['a'])
    expect((failure as Error).message).to.equal('stop')
  })

  describe('a failure before the first change (nothingChanged)', () => {
    const plan = (failAt: string, firstChange: 'changed' | 'unchanged' = 'unchanged'): Step<object>[] => [
      {name: 'look', title: 'look around', changesNothing: true, run: async () => (failAt === 'look' ? Promise.reject(new Error('no place')) : 'unchanged')},
      {name: 'probe', title: 'probe', changesNothing: true, run: async () => (failAt === 'probe' ? Promise.reject(new Error('no probe')) : firstChange)},
      {name: 'create', title: 'create', run: async () => Promise.reject(new Error('half made'))},
    ]
    const failureOf = (steps: Step<object>[], previous?: StepRecord[]) =>
      runSteps(steps, {}, {previous, save: async () => {}}).then(
        () => expect.fail('the plan should fail'),
        (error: StepFailedError) => error,
      )

    it('is true when the failed step changes nothing and no step before it changed anything', async () => {
      expect((await failureOf(plan('look'))).nothingChanged).to.equal(true)
      expect((await failureOf(plan('probe'))).nothingChanged).to.equal(true)
    })

    it('is false when the failed step may have changed something, or a step before it did', async () => {
      expect((await failureOf(plan('create'))).nothingChanged, 'a step that changes things').to.equal(false)
      const changedBefore = plan('none', 'changed')
      changedBefore[2] = {...changedBefore[2], changesNothing: true}
      expect((await failureOf(changedBefore)).nothingChanged, 'probe changed something').to.equal(false)
    })
  })

  it('keeps a secret a failing step echoed out of the records and the error', async () => {
    const secret = newTestSecret('echoed')
    registerSecret(secret)
    const saved: StepRecord[][] = []
    const plan: Step<object>[] = [{name: 'call', title: 'call', run: async () => Promise.reject(new Error(`server said: bad value ${secret}`))}]
    const failure = (await runSteps(plan, {}, {save: async (r) => void saved.push(r)}).catch((error: unknown) => error)) as StepFailedError
    expect(failure.message).to.equal(`step "call" failed: server said: bad value ${REDACTED}`)
    expect(saved.at(-1)![0].error).to.equal(`server said: bad value ${REDACTED}`)
  })
})
