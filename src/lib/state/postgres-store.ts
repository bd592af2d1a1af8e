// Placeholder replaced by the PostgreSQL backend.
export const PostgresStore = {
  async open(_url: string, _options: {requireCurrentSchema: boolean}): Promise<never> {
    throw new Error('not yet')
  },
}
