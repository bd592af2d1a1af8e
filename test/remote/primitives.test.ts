import {expect} from 'chai'
import {execa} from 'execa'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {dearmorKey, parseAptSourceLine} from '../../src/lib/remote/apt.js'
import {assertAbsolutePath, changeOf} from '../../src/lib/remote/files.js'
import {parseLsClusters, psqlInput, psqlSetCommand} from '../../src/lib/remote/postgres-admin.js'
import {assertUnitName, parseUnitStatus} from '../../src/lib/remote/systemd.js'
import {findPgBin, pgCluster} from '../helpers/pg-cluster.js'
import {requireTool} from '../helpers/tools.js'

describe('remote primitives: the pure parts', () => {
  describe('systemd', () => {
    it('reads `systemctl show` output of an existing, a missing and a failed unit', () => {
      expect(parseUnitStatus('LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nMainPID=4242\n')).to.deep.equal({
        exists: true,
        active: 'active',
        enabled: 'enabled',
        mainPid: 4242,
      })
      // systemctl show answers for unknown units too, with LoadState=not-found.
      expect(parseUnitStatus('MainPID=0\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n')).to.deep.equal({exists: false, active: 'inactive', enabled: ''})
      expect(parseUnitStatus('LoadState=loaded\nActiveState=failed\nUnitFileState=disabled\nMainPID=0').active).to.equal('failed')
    })

    it('refuses unit names that are not unit names', () => {
      expect(assertUnitName('odoops-shared-17.service')).to.equal('odoops-shared-17.service')
      expect(assertUnitName('postgresql@15-main.service')).to.equal('postgresql@15-main.service')
      for (const bad of ['odoo', 'a b.service', '../x.service', 'x.service; rm -rf /']) expect(() => assertUnitName(bad), bad).to.throw(/not a systemd unit name/)
    })
  })

  describe('files', () => {
    it('accepts only absolute normalised paths', () => {
      expect(assertAbsolutePath('/etc/odoops/shared-17.conf')).to.equal('/etc/odoops/shared-17.conf')
      for (const bad of ['etc/x', '/', '/etc/../root', '/etc/./x', '/etc//x', '/etc/x/', '']) expect(() => assertAbsolutePath(bad), bad).to.throw(/absolute/)
    })

    it('takes the change from the last word a script printed', () => {
      expect(changeOf('changed\n')).to.equal('changed')
      expect(changeOf('Reloading…\nunchanged\n')).to.equal('unchanged')
      expect(() => changeOf('oops')).to.throw(/Unexpected output/)
    })
  })

  describe('apt', () => {
    it('parses one-line sources: the Odoo nightly default, the fixture, a classic suite', () => {
      expect(parseAptSourceLine('deb [signed-by=/usr/share/keyrings/odoo-archive-keyring.gpg] https://nightly.odoo.com/17.0/nightly/deb/ ./')).to.deep.equal({
        options: {'signed-by': '/usr/share/keyrings/odoo-archive-keyring.gpg'},
        uri: 'https://nightly.odoo.com/17.0/nightly/deb/',
        suite: './',
        components: [],
      })
      expect(parseAptSourceLine('deb [trusted=yes] file:/srv/odoops-fixture-apt ./').options).to.deep.equal({trusted: 'yes'})
      expect(parseAptSourceLine('deb http://deb.debian.org/debian bookworm main contrib').components).to.deep.equal(['main', 'contrib'])
    })

    it('refuses malformed lines with the reason', () => {
      const cases: [string, RegExp][] = [
        ['https://nightly.odoo.com/17.0/nightly/deb/ ./', /must start with "deb"/],
        ['deb-src http://x/ ./', /must start with "deb"/],
        ['deb [signed-by=/k.gpg https://x/ ./', /not closed/],
        ['deb [signed-by] https://x/ ./', /option=value/],
        ['deb ftp.example.com/debian ./', /not an http\(s\) or file URI/],
        ['deb https://nightly.odoo.com/17.0/nightly/deb/', /suite/],
        ['deb https://x/ ./ main', /flat repository/],
        ['deb http://deb.debian.org/debian bookworm', /needs at least one component/],
        ['deb [signed-by=keys/odoo.gpg] https://x/ ./', /absolute keyring path/],
        ['deb https://x/ ./\ndeb https://evil/ ./', /several lines/],
      ]
      for (const [line, reason] of cases) {
        try {
          parseAptSourceLine(line)
          expect.fail(`accepted ${JSON.stringify(line)}`)
        } catch (error) {
          expect((error as {code: string}).code, line).to.equal('APT_SOURCE_INVALID')
          expect((error as Error).message, line).to.match(reason)
          expect((error as {exit: number}).exit).to.equal(2)
        }
      }
    })

    it('dearmors an ASCII-armored key into its binary packets (what gpg --dearmor does)', () => {
      const packets = Buffer.concat([Buffer.from([0x99, 0x01, 0x0d]), Buffer.alloc(300, 0x42)])
      const base64 = packets.toString('base64').match(/.{1,64}/g)!.join('\n')
      const armored = `-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n${base64}\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n`
      expect(dearmorKey(Buffer.from(armored)).equals(packets)).to.equal(true)
      expect(dearmorKey(packets).equals(packets), 'binary keys pass unchanged').to.equal(true)
      expect(() => dearmorKey(Buffer.from('hello'))).to.throw(/neither an ASCII-armored nor a binary/)
    })
  })

  describe('postgres-admin', () => {
    it('reads pg_lsclusters -h', () => {
      const out = '15 main 5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log\n16 extra 5433 down postgres /var/lib/postgresql/16/extra /var/log/x.log\n'
      expect(parseLsClusters(out)).to.deep.equal([
        {version: '15', major: 15, name: 'main', port: 5432, running: true},
        {version: '16', major: 16, name: 'extra', port: 5433, running: false},
      ])
    })

    it('escapes \\set values for psql', () => {
      expect(psqlSetCommand('role', "o'brien\\x")).to.equal("\\set role 'o''brien\\\\x'")
      expect(() => psqlSetCommand('bad name', 'x')).to.throw(/not a valid psql variable/)
    })

    it('psql receives every value exactly, as a literal and as an identifier', async function () {
      this.timeout(60_000)
      const psql = requireTool(this, 'psql', {debianPackage: 'postgresql-client', locate: () => ['/usr/bin/psql', ...(findPgBin() ? [join(findPgBin()!, 'psql')] : [])].find((p) => existsSync(p))})
      const cluster = await pgCluster()
      const run = (sql: string, vars: Record<string, string>) =>
        execa(psql, ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', cluster.url('postgres'), '-f', '-'], {input: psqlInput(sql, vars)})
      for (const value of ["it's", 'back\\slash', 'two\nlines', ':"var" $1 ; DROP TABLE x; --', 'tab\there', 'ünïcödé', '']) {
        // Hex of what the server received (psql's output format would hide trailing whitespace).
        const literal = await run("SELECT encode(convert_to(:'v', 'UTF8'), 'hex')", {v: value})
        expect(literal.stdout, JSON.stringify(value)).to.equal(Buffer.from(value, 'utf8').toString('hex'))
        if (value === '' || value.includes('\n')) continue
        const identifier = await run('CREATE TEMP TABLE t (x int);\nALTER TABLE t RENAME COLUMN x TO :"v";\nSELECT attname FROM pg_attribute WHERE attrelid = \'t\'::regclass AND attnum = 1;', {v: value})
        expect(identifier.stdout, JSON.stringify(value)).to.equal(value)
      }
    })
  })
})
