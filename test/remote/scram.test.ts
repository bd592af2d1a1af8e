import {expect} from 'chai'
import pg from 'pg'
import {setTimeout as sleep} from 'node:timers/promises'
import {scramMatches, scramVerifier} from '../../src/lib/remote/postgres-admin.js'
import {findPgBin, pgCluster, type PgCluster} from '../helpers/pg-cluster.js'
import {requireTool} from '../helpers/tools.js'

/**
 * scramVerifier computes PostgreSQL's SCRAM-SHA-256 secret locally so that `ALTER ROLE …
 * PASSWORD '<verifier>'` never carries the clear password. Checked against PostgreSQL
 * itself: it must store the verifier as is (recognise it as a hashed secret) and then
 * accept the clear password — and only that one — at a scram-sha-256 login.
 */
describe('remote/postgres-admin: scramVerifier against a real PostgreSQL', function () {
  this.timeout(60_000)
  let cluster: PgCluster
  let hbaFile: string
  let originalHba: string
  const role = `scram_check_${process.pid}`

  /** Rewrites pg_hba.conf through the server (COPY … TO, one row per line) and reloads it. */
  async function writeHba(content: string): Promise<void> {
    const client = new pg.Client({connectionString: cluster.url('postgres')})
    await client.connect()
    try {
      const lines = client.escapeLiteral(content.replaceAll('\t', ' ').replace(/\n$/, ''))
      // COPY cannot take bind parameters; both values are escaped by pg itself.
      await client.query(`COPY (SELECT unnest(string_to_array(${lines}, E'\\n'))) TO ${client.escapeLiteral(hbaFile)}`)
      await client.query('SELECT pg_reload_conf()')
    } finally {
      await client.end()
    }
  }

  async function login(password: string): Promise<boolean> {
    const client = new pg.Client({host: '127.0.0.1', port: cluster.port, user: role, password, database: 'postgres'})
    try {
      await client.connect()
      await client.end()
      return true
    } catch {
      return false
    }
  }

  before(async function () {
    requireTool(this, 'PostgreSQL (initdb, pg_ctl)', {debianPackage: 'postgresql', locate: findPgBin})
    cluster = await pgCluster()
    hbaFile = (await cluster.query('postgres', 'SHOW hba_file')).rows[0].hba_file
    originalHba = (await cluster.query('postgres', 'SELECT pg_read_file($1) AS content', [hbaFile])).rows[0].content
    // Only this test's role has to use a password; every other test keeps trust.
    await writeHba(`host all ${role} 127.0.0.1/32 scram-sha-256\n${originalHba}`)
  })

  after(async () => {
    if (!cluster) return
    await writeHba(originalHba)
    await cluster.query('postgres', `DROP ROLE IF EXISTS ${role}`)
  })

  it('is stored as given and lets exactly the clear password log in', async () => {
    const password = 'Zm9vYmFy-odoops_Test.123'
    const verifier = scramVerifier(password)
    expect(verifier).to.match(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/)
    const client = new pg.Client({connectionString: cluster.url('postgres')})
    await client.connect()
    try {
      await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(verifier)}`)
    } finally {
      await client.end()
    }
    const stored = (await cluster.query('postgres', 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0].rolpassword
    expect(stored, 'PostgreSQL recognised the verifier and did not hash it again').to.equal(verifier)

    // pg_reload_conf() signals the postmaster; wait until the scram rule is in force.
    for (let i = 0; i < 50 && (await login('wrong password')); i++) await sleep(100)
    expect(await login('wrong password')).to.equal(false)
    expect(await login(password)).to.equal(true)
  })

  it('scramMatches recognises the password of a verifier PostgreSQL made itself', async () => {
    const password = 'another-Secret_42'
    const client = new pg.Client({connectionString: cluster.url('postgres')})
    await client.connect()
    try {
      await client.query("SET password_encryption = 'scram-sha-256'")
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${client.escapeLiteral(password)}`)
    } finally {
      await client.end()
    }
    const stored = (await cluster.query('postgres', 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0].rolpassword
    expect(stored).to.match(/^SCRAM-SHA-256\$/)
    expect(scramMatches(password, stored)).to.equal(true)
    expect(scramMatches('another-Secret_43', stored)).to.equal(false)
    expect(scramMatches(password, 'md5abcdef')).to.equal(false)
  })

  it('is deterministic for a given salt and differs with the salt', () => {
    const salt = Buffer.alloc(16, 7)
    expect(scramVerifier('pw-1234', {salt})).to.equal(scramVerifier('pw-1234', {salt}))
    expect(scramVerifier('pw-1234')).to.not.equal(scramVerifier('pw-1234'))
  })
})
