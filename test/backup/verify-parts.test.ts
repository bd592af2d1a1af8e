import {expect} from 'chai'
import {parseFilestoreCheck, restoreCommand, scratchDatabaseName, scratchDirectory, unpackCommand} from '../../src/lib/backup/shell/verify.js'

describe('backup verify parts', () => {
  it('names scratch databases and directories with a recognisable prefix', () => {
    expect(scratchDatabaseName('a1b2')).to.equal('odoops_verify_a1b2')
    expect(scratchDirectory('a1b2')).to.equal('/var/tmp/odoops_verify_a1b2')
  })

  it('feeds the session stdin (kept on fd 3) to the backgrounded pipeline, which bash would give /dev/null', () => {
    for (const cmd of [restoreCommand('odoops_verify_x', 'zstd'), unpackCommand('/var/tmp/odoops_verify_x', 'gzip')]) {
      const text = cmd.toString()
      expect(text).to.include('exec 3<&0')
      expect(text).to.match(/-d (-q )?-c <&3 \|/)
    }
    expect(restoreCommand('odoops_verify_x', 'zstd').toString()).to.include('pg_restore --exit-on-error --no-owner --no-privileges --dbname odoops_verify_x')
  })

  it('parses the filestore check: problem lines and their total', () => {
    expect(parseFilestoreCheck('missing ab/ab12\nsha1 cd/cd34\ntotal 2\n')).to.deep.equal({lines: ['missing ab/ab12', 'sha1 cd/cd34'], total: 2})
    expect(parseFilestoreCheck('total 0\n')).to.deep.equal({lines: [], total: 0})
  })
})
