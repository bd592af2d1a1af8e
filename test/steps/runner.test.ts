import {expect} from 'chai'
import {StepFailedError, runSteps, type Step, type StepRecord} from '../../src/lib/steps/runner.js'

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
})
