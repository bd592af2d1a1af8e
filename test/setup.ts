// Mocha setup (see .mocharc.json): no real network from tests except our own local
// parts (loopback, and the private addresses of sandbox test hosts), fixed terminal width.
import nock from 'nock'

process.env.COLUMNS = '120'
// Never let a test read or write the developer's real odoops directories.
process.env.ODOOPS_SECRET_KEY ??= 'odoops-test-secret-key-material'

export const mochaHooks = {
  beforeAll() {
    nock.disableNetConnect()
    nock.enableNetConnect((host: string) => /^(127\.|localhost|\[::1\]|10\.77\.)/.test(host))
  },
  afterEach() {
    nock.cleanAll()
  },
  afterAll() {
    nock.enableNetConnect()
  },
}
