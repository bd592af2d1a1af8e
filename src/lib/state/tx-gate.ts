import {AsyncLocalStorage} from 'node:async_hooks'

/**
 * Runs a store's write transactions one at a time within this process, and refuses a
 * transaction started from inside another (it would wait forever on the lock the outer
 * one holds). Concurrent calls from unrelated code (e.g. Promise.all over inserts) queue.
 */
export class TxGate {
  private readonly inside = new AsyncLocalStorage<true>()
  private tail: Promise<void> = Promise.resolve()

  async run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.inside.getStore()) {
      throw new Error('nested state transactions are not supported: inside store.transaction(), use the tx argument')
    }
    const previous = this.tail
    let release!: () => void
    this.tail = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    try {
      return await this.inside.run(true, fn)
    } finally {
      release()
    }
  }
}
