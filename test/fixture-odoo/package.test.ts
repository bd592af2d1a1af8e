import {expect} from 'chai'
import {execa} from 'execa'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createHash} from 'node:crypto'
import {buildFixtureOdooPackage, createLocalAptRepo, fixtureAptSourceLine, serveAptRepo} from '../../src/lib/fixture-odoo/build.js'
import {locateTool} from '../helpers/tools.js'
import {BUILD_DATE, extractedFixture, runOdoo} from './helpers.js'

describe('fixture Odoo package (odoo_<series>.<date>_all.deb)', function () {
  this.timeout(120_000)

  it('is a package named odoo with the official layout, unit and conffile', async () => {
    const {deb, root} = await extractedFixture('17.0')
    expect(deb).to.match(new RegExp(`/odoo_17\\.0\\.${BUILD_DATE}_all\\.deb$`))
    const field = async (name: string) => (await execa('dpkg-deb', ['-f', deb, name])).stdout
    expect(await field('Package')).to.equal('odoo')
    expect(await field('Version')).to.equal(`17.0.${BUILD_DATE}`)
    expect(await field('Architecture')).to.equal('all')
    expect(await field('Depends')).to.equal('python3, python3-psycopg2, adduser, postgresql-client')
    expect(await field('Description')).to.match(/TEST DOUBLE/)
    const listing = (await execa('dpkg-deb', ['-c', deb])).stdout
    for (const path of ['./usr/bin/odoo', './etc/odoo/odoo.conf', './lib/systemd/system/odoo.service', './usr/share/doc/odoo/README.md']) {
      expect(listing).to.contain(path)
    }
    expect(listing).to.match(/-rwxr-xr-x root\/root .* \.\/usr\/bin\/odoo/)
    expect((await execa('dpkg-deb', ['-I', deb, 'conffiles'])).stdout.trim()).to.equal('/etc/odoo/odoo.conf')
    const unit = readFileSync(join(root, 'lib/systemd/system/odoo.service'), 'utf8')
    expect(unit).to.contain('ExecStart=/usr/bin/odoo --config /etc/odoo/odoo.conf --logfile /var/log/odoo/odoo-server.log')
    expect(unit).to.match(/^User=odoo$/m)
    const postinst = (await execa('dpkg-deb', ['-I', deb, 'postinst'])).stdout
    expect(postinst).to.contain('adduser --system --home $ODOO_DATA_DIR --quiet --group $ODOO_USER')
    expect(readFileSync(join(root, 'etc/odoo/odoo.conf'), 'utf8')).to.contain('db_user = odoo')
  })

  it('prints the series and build date with --version, per series', async () => {
    for (const series of ['17.0', '16.0']) {
      const {root} = await extractedFixture(series)
      const result = await runOdoo(root, ['--version'])
      expect(result.exitCode).to.equal(0)
      expect(result.stdout.trim()).to.equal(`Odoo Server ${series}-${BUILD_DATE}`)
    }
  })

  it('reuses a build with the same sources, series and date, and refuses unknown series', async () => {
    const out = mkdtempSync(join(tmpdir(), 'odoops-fxcache-'))
    const first = await buildFixtureOdooPackage({series: '18.0', outDir: out, date: BUILD_DATE})
    const mtime = statSync(first).mtimeMs
    const started = Date.now()
    const second = await buildFixtureOdooPackage({series: '18.0', outDir: out, date: BUILD_DATE})
    expect(second).to.equal(first)
    expect(statSync(second).mtimeMs).to.equal(mtime)
    expect(Date.now() - started).to.be.below(1000)
    // A stale stamp (other sources) forces a rebuild.
    writeFileSync(`${first}.sha256`, 'stale\n')
    await buildFixtureOdooPackage({series: '18.0', outDir: out, date: BUILD_DATE})
    expect(readFileSync(`${first}.sha256`, 'utf8').trim()).to.match(/^[0-9a-f]{64}$/)
    let error: unknown
    try {
      await buildFixtureOdooPackage({series: '15.0', outDir: out})
    } catch (e) {
      error = e
    }
    expect(error).to.have.property('code', 'FIXTURE_ODOO_SERIES')
  })

  it('is served as a flat apt repository that apt reads', async () => {
    const {deb} = await extractedFixture('17.0')
    const repo = mkdtempSync(join(tmpdir(), 'odoops-fxrepo-'))
    await createLocalAptRepo(repo, [deb])
    const packages = readFileSync(join(repo, 'Packages'), 'utf8')
    const bytes = readFileSync(deb)
    expect(packages).to.contain('Package: odoo\n')
    expect(packages).to.contain(`Filename: ./odoo_17.0.${BUILD_DATE}_all.deb\n`)
    expect(packages).to.contain(`Size: ${bytes.length}\n`)
    expect(packages).to.contain(`SHA256: ${createHash('sha256').update(bytes).digest('hex')}\n`)
    expect(existsSync(join(repo, 'Packages.gz'))).to.equal(true)
    expect(readFileSync(join(repo, 'Release'), 'utf8')).to.match(/SHA256:\n [0-9a-f]{64} \d+ Packages\n/)

    const server = await serveAptRepo(repo, {host: '127.0.0.1', port: 0})
    try {
      expect(server.aptSource).to.equal(fixtureAptSourceLine(server.url))
      const res = await fetch(`${server.url}/odoo_17.0.${BUILD_DATE}_all.deb`)
      expect(res.status).to.equal(200)
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).to.equal(true)
      expect((await fetch(`${server.url}/%2e%2e/%2e%2e/etc/passwd`)).status).to.equal(404)
      if (!locateTool('apt-get', {debianPackage: 'apt'})) return
      // apt itself, with private state directories: the repository resolves and offers the package.
      const state = mkdtempSync(join(tmpdir(), 'odoops-fxapt-'))
      for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(state, d), {recursive: true})
      writeFileSync(join(state, 'sources.list'), `${server.aptSource}\n`)
      const opts = ['-o', `Dir::Etc::SourceList=${join(state, 'sources.list')}`, '-o', 'Dir::Etc::SourceParts=/nonexistent', '-o', `Dir::State::Lists=${join(state, 'lists')}`, '-o', `Dir::Cache=${join(state, 'cache')}`, '-o', 'Debug::NoLocking=1']
      const update = await execa('apt-get', [...opts, 'update'], {reject: false})
      expect(update.exitCode, update.stderr).to.equal(0)
      const policy = await execa('apt-cache', [...opts, 'policy', 'odoo'])
      expect(policy.stdout).to.contain(`Candidate: 17.0.${BUILD_DATE}`)
    } finally {
      await server.close()
    }
  })
})
