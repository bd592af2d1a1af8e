import {expect} from 'chai'
import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshArgs} from '../helpers/sandbox.js'
import {dataFingerprint, sandboxScript, tenantWithData, type TenantWithData} from '../helpers/tenant-with-data.js'
import {mapDomains, passwordFrom, probeTenant} from '../tenants/remote-checks.js'

/** Entries of a zip in order, read with Python's zipfile (not the library odoops writes with). */
async function zipEntries(file: string): Promise<string[]> {
  const result = await execa('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', file])
  return result.stdout.split('\n').filter(Boolean)
}

/**
 * Odoo compatibility on a real sandbox (fixture Odoo): `backup export --format odoo-zip`
 * writes Odoo's layout, which restores the way Odoo's database manager restores (createdb
 * from template0, `psql -f dump.sql`, filestore moved in place) to the same data; `backup
 * import` makes a tenant of it; a zip whose dump.sql holds an SQL error fails loudly.
 */
describe('backup export/import of Odoo zips @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  let source: TenantWithData
  let zip: string
  const dir = mkdtempSync(join(tmpdir(), 'odoops-zip-'))

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    env = a.env
    source = await tenantWithData(a, {prefix: 'oz', attachments: 9})
    const run = await runCli(['backup', 'run', source.slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    zip = join(dir, 'export.zip')
    const exported = await runCli(['backup', 'export', run.json.results[0].backup.id, '--format', 'odoo-zip', '--output', zip, '--json'], {env, timeoutMs: 240_000})
    expect(exported.code, exported.stdout + exported.stderr).to.equal(0)
    expect(exported.json).to.include({file: zip, filestoreFiles: 9})
  })

  it('writes Odoo\'s layout: dump.sql first, manifest.json with Odoo\'s fields, filestore/<xx>/<sha1>', async () => {
    const names = await zipEntries(zip)
    expect(names[0]).to.equal('dump.sql')
    expect(names).to.include('manifest.json')
    const files = names.filter((n) => n.startsWith('filestore/'))
    expect(files).to.have.length(9)
    for (const name of files) expect(name).to.match(/^filestore\/[0-9a-f]{2}\/[0-9a-f]{40}$/)
    const manifest = JSON.parse((await execa('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("manifest.json").decode())', zip])).stdout)
    expect(manifest).to.include({odoo_dump: '1', db_name: source.database, major_version: '17.0'})
    expect(manifest.modules).to.have.property('base')
    expect(manifest).to.not.have.property('odoops')
  })

  it('restores as Odoo\'s database manager does (psql -f dump.sql, filestore moved) to the same data', async function () {
    this.timeout(300_000)
    const upload = await execa('ssh', [...sshArgs(a.sandbox), 'cat > /tmp/odoo-export.zip'], {input: readFileSync(zip), reject: false})
    expect(upload.exitCode, upload.stderr).to.equal(0)
    const db = `odoo_mgr_${randomBytes(3).toString('hex')}`
    const store = `/var/tmp/${db}-filestore`
    // odoo/service/db.py exp_restore: _create_empty_database (template0), psql -q -f dump.sql, filestore moved.
    await sandboxScript(a.sandbox, [
      `cd / && rm -rf /tmp/odoo-export && mkdir /tmp/odoo-export && cd /tmp/odoo-export`,
      `python3 -c 'import zipfile; zipfile.ZipFile("/tmp/odoo-export.zip").extractall(".")'`,
      `chmod -R a+rX /tmp/odoo-export && cd /`,
      `runuser -u postgres -- psql -X -q -c "CREATE DATABASE \\"${db}\\" ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0"`,
      `runuser -u postgres -- psql -X -q -d '${db}' -f /tmp/odoo-export/dump.sql > /dev/null`,
      `mv /tmp/odoo-export/filestore '${store}'`,
    ])
    try {
      expect(await dataFingerprint(a.sandbox, db, store)).to.deep.equal(await dataFingerprint(a.sandbox, source.database, source.filestore))
    } finally {
      await sandboxScript(a.sandbox, [`cd / && runuser -u postgres -- dropdb '${db}'`, `rm -rf '${store}' /tmp/odoo-export /tmp/odoo-export.zip`])
    }
  })

  it('backup import makes a tenant of it: healthy through nginx, same data', async function () {
    this.timeout(600_000)
    const slug = `oi-${randomBytes(3).toString('hex')}`
    const domain = `${slug}.imported.example.test`
    const credentials = join(dir, `${slug}.txt`)
    const imported = await runCli(['backup', 'import', zip, '--new-tenant', slug, '--host', a.host, '--domain', domain, '--credentials-file', credentials, '--json'], {env, timeoutMs: 600_000})
    expect(imported.code, imported.stdout + imported.stderr).to.equal(0)
    expect(imported.json.contents).to.include({filestoreFiles: 9})
    expect(await dataFingerprint(a.sandbox, domain, `${a.prepare.service.dataDir}/filestore/${domain}`)).to.deep.equal(await dataFingerprint(a.sandbox, source.database, source.filestore))
    await mapDomains(a.sandbox, [domain])
    const probe = await probeTenant(a.sandbox, domain, domain, passwordFrom(credentials))
    expect(probe.health[0]).to.equal(200)
    expect(probe.uid).to.be.a('number')
    await runCli(['tenant', 'remove', slug, '--confirm', slug], {env, timeoutMs: 300_000})
  })

  it('fails loudly on a zip whose dump.sql has an SQL error: exit 1 naming psql\'s error, nothing loaded', async function () {
    this.timeout(600_000)
    const broken = join(dir, 'broken.zip')
    // The same zip with one bad statement in the middle of dump.sql (Odoo's restore would skip it silently).
    await execa('python3', ['-c', `
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED)
for info in src.infolist():
    data = src.read(info.filename)
    if info.filename == 'dump.sql':
        lines = data.split(b'\\n')
        mid = len(lines) // 2
        while not lines[mid].startswith(b'CREATE TABLE') and mid < len(lines) - 1:
            mid += 1
        lines.insert(mid, b'INSERT INTO no_such_table VALUES (1);')
        data = b'\\n'.join(lines)
    dst.writestr(info, data)
dst.close()
`, zip, broken])
    const slug = `ob-${randomBytes(3).toString('hex')}`
    const domain = `${slug}.imported.example.test`
    const failed = await runCli(['backup', 'import', broken, '--new-tenant', slug, '--host', a.host, '--domain', domain, '--credentials-file', join(dir, `${slug}.txt`), '--json'], {env, timeoutMs: 600_000})
    expect(failed.code, failed.stdout).to.equal(1)
    expect(failed.json.error.code).to.equal('RESTORE_LOAD_FAILED')
    expect(failed.json.error.message).to.match(/no_such_table/)
    const shown = await runCli(['tenant', 'show', slug, '--json'], {env})
    expect(shown.json.state).to.equal('failed')
    // One transaction: not a single table of the dump was left behind.
    const tables = await sandboxScript(a.sandbox, [`cd / && runuser -u postgres -- psql -X -At -d '${domain}' -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"`])
    expect(tables.trim()).to.equal('0')
    const removed = await runCli(['tenant', 'remove', slug, '--confirm', slug, '--json'], {env, timeoutMs: 300_000})
    expect(removed.code, removed.stdout).to.equal(0)
  })
})
