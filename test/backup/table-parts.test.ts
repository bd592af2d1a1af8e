import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LocalTarget} from '../../src/lib/backup/index.js'
import {largeTableMinBytes} from '../../src/lib/backup/run.js'
import {dumpCommand} from '../../src/lib/backup/shell/pipeline.js'
import {copyInCommand, copyOutCommand, copyOutSql, parseContentLine, parseLargeTables, qualifiedName, tableVars} from '../../src/lib/backup/shell/tables.js'
import {drainingAfter, restoreCommand} from '../../src/lib/backup/shell/verify.js'
import {shell} from '../../src/lib/ssh/quote.js'
import {tableBlobFault, tablesOf} from '../../src/lib/backup/tables/load.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'

const sha = (algorithm: string, data: Buffer | string) => createHash(algorithm).update(data).digest('hex')
/** Words of a command line as a POSIX shell splits them (Python's shlex, not our quoting code). */
const words = (line: string): string[] => JSON.parse(spawnSync('python3', ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', line]).stdout.toString())
/** The script inside `bash -c '…'` (script() and killableScript() build those). */
const inner = (cmd: {text: string}): string => {
  const [program, flag, body] = words(cmd.text)
  expect([program, flag]).to.deep.equal(['bash', '-c'])
  return body
}

describe('backup: large tables, pure parts', () => {
  it('reads the large tables of the snapshot, leaving out names that are not plain', () => {
    const rows = ['public|mail_message|734003200|120|id,subject,body', 'public|Odd Name|99999999|0|id', 'public|ok_table|70000000|-1|id,"x"', 'sales|order_line|67108864|5|id,qty', ''].join('\n')
    const tables = parseLargeTables(rows)
    expect(tables).to.deep.equal([
      {schema: 'public', name: 'mail_message', columns: ['id', 'subject', 'body'], bytes: 734003200, writes: 120},
      {schema: 'sales', name: 'order_line', columns: ['id', 'qty'], bytes: 67108864, writes: 5},
    ])
    expect(qualifiedName(tables[1])).to.equal('sales.order_line')
    expect(tableVars(tables[0])).to.deep.equal({schema: 'public', table: 'mail_message', c0: 'id', c1: 'subject', c2: 'body'})
  })

  it('keeps the large tables\' rows out of the dump, and restores by sections', () => {
    const dump = dumpCommand('acme', 'zstd', {zstd: true, pigz: false}, {snapshot: '00000003-0000001B-1', excludeTableData: ['public.mail_message']}).text
    expect(dump).to.include('--exclude-table-data=public.mail_message')
    expect(dump).to.include('--snapshot=00000003-0000001B-1')
    expect(restoreCommand('acme', 'zstd', {role: 'acme', sections: ['pre-data', 'data']}).text).to.include('--section=pre-data --section=data --dbname acme')
    expect(restoreCommand('acme', 'zstd').text).to.not.include('--section')
  })

  it('a restore by sections reads the rest of the dump after pg_restore stopped (no SIGPIPE under pipefail)', () => {
    // pg_restore --section=post-data reads only the archive's table of contents, like `head` here.
    const run = (cmd: {text: string}) => spawnSync('bash', ['-c', `set -o pipefail; head -c 5000000 /dev/zero | ${cmd.text}; echo "exit $?"`]).stdout.toString().trim()
    expect(run(drainingAfter(shell`head -c 10 > /dev/null`, ['post-data']))).to.equal('exit 0')
    expect(run(drainingAfter(shell`head -c 10 > /dev/null`, undefined))).to.equal('exit 141')
    expect(run(drainingAfter(shell`exit 3`, ['pre-data', 'data']))).to.equal('exit 3')
  })

  it('reads a table inside the backup\'s snapshot with pg_dump\'s settings, names as psql variables', () => {
    const sql = copyOutSql(3)
    expect(sql.indexOf("SET TRANSACTION SNAPSHOT :'snapshot'")).to.be.greaterThan(sql.indexOf('BEGIN ISOLATION LEVEL REPEATABLE READ'))
    expect(sql).to.include('SET synchronize_seqscans = off;')
    expect(sql).to.include('COPY :"schema".:"table" (:"c0", :"c1", :"c2") TO STDOUT;')
    expect(sql).to.include("SET TimeZone = 'UTC';")
    const send = inner(copyOutCommand('acme', {port: 5433, send: {codec: 'zstd', tools: {zstd: true, pigz: false}}}))
    expect(send).to.match(/psql .*-p 5433 -d acme -f - <&3 \| python3 -c '[^']*' tee \| zstd -T0 -1/)
    expect(inner(copyOutCommand('acme', {}))).to.match(/python3 -c '[^']*' hash\b/)
    expect(inner(copyOutCommand('acme', {}))).to.not.include('zstd')
  })

  it('hashes and passes on the rows on the host (the hasher, run here)', function () {
    const split = words(inner(copyOutCommand('acme', {})))
    const program = split[split.indexOf('python3') + 2]
    const input = Buffer.concat([Buffer.from('1\trow\\twith tab\n'), Buffer.alloc(3 << 20, 7)])
    const tee = spawnSync('python3', ['-c', program, 'tee'], {input, maxBuffer: 16 << 20})
    expect(tee.status, tee.stderr.toString()).to.equal(0)
    expect(Buffer.compare(tee.stdout, input)).to.equal(0)
    expect(parseContentLine(tee.stderr.toString())).to.deep.equal({sha256: sha('sha256', input), bytes: input.length})
    const hash = spawnSync('python3', ['-c', program, 'hash'], {input})
    expect(hash.stdout.length).to.equal(0)
    expect(parseContentLine(hash.stderr.toString())).to.deep.equal({sha256: sha('sha256', input), bytes: input.length})
    expect(parseContentLine('psql: error\n')).to.equal(undefined)
  })

  it('loads a table by COPY FROM STDIN: header, rows, end marker on one input (run here with cat for psql)', () => {
    const text = inner(copyInCommand('acme', {schema: 'public', name: 'mail_message', columns: ['id', 'body']}, 'gzip'))
    expect(text).to.include('-v schema=public -v table=mail_message -v c0=id -v c1=body')
    expect(text).to.include('COPY :"schema".:"table" (:"c0", :"c1") FROM STDIN;')
    // The part between the braces, with psql replaced by cat: what psql would read.
    const group = /(\{ printf [\s\S]*?; \}) \|/.exec(text)![1]
    const rows = '1\tfirst\n2\t\\N\n'
    const gz = spawnSync('gzip', ['-c'], {input: rows}).stdout
    const read = spawnSync('bash', ['-c', `exec 3<&0; ${group}`], {input: gz})
    expect(read.status, read.stderr.toString()).to.equal(0)
    const lines = read.stdout.toString().split('\n')
    expect(lines.slice(-4)).to.deep.equal(['1\tfirst', '2\t\\N', '\\.', ''])
    expect(lines.at(-5)).to.equal('COPY :"schema".:"table" (:"c0", :"c1") FROM STDIN;')
  })

  it('takes the threshold from the environment: MiB, 0 for off, 64 MiB by default, a clear error otherwise', () => {
    expect(largeTableMinBytes({}, {})).to.equal(64 << 20)
    expect(largeTableMinBytes({}, {ODOOPS_BACKUP_LARGE_TABLE_MB: '1.5'})).to.equal(1.5 * (1 << 20))
    expect(largeTableMinBytes({}, {ODOOPS_BACKUP_LARGE_TABLE_MB: '0'})).to.equal(0)
    expect(largeTableMinBytes({largeTableMinBytes: 10}, {ODOOPS_BACKUP_LARGE_TABLE_MB: '1'})).to.equal(10)
    expect(() => largeTableMinBytes({}, {ODOOPS_BACKUP_LARGE_TABLE_MB: 'big'}))
      .to.throw(OdoopsError)
      .with.property('code', 'BACKUP_LARGE_TABLE_INVALID')
  })

  it('backup run refuses a bad threshold as a usage error (exit 2) before touching any tenant', async () => {
    const run = await runCli(['backup', 'run', '--all', '--json'], {env: {...isolatedEnv(), ODOOPS_BACKUP_LARGE_TABLE_MB: '-5'}})
    expect(run.code, run.stdout + run.stderr).to.equal(2)
    expect(run.json.error.code).to.equal('BACKUP_LARGE_TABLE_INVALID')
    expect(run.json.error.message).to.include('"-5"')
  })

  it('reads the tables of a manifest, and tells a blob that is not the one listed', () => {
    const segment = {table: 'public.t', columns: ['id'], content: 'a'.repeat(64), contentBytes: 10, writes: 1, codec: 'zstd' as const, blob: 'b'.repeat(40), size: 5}
    expect(tablesOf({odoops: {} as never})).to.deep.equal([])
    expect(tablesOf({odoops: {tables: [segment]} as never})).to.deep.equal([segment])
    expect(() => tablesOf({odoops: {backupId: 'x', tables: [{table: 'public.t'}]} as never})).to.throw(OdoopsError)
    expect(tableBlobFault(segment, {size: 5, sha1: 'b'.repeat(40)})).to.equal(undefined)
    expect(tableBlobFault(segment, {size: 5, sha1: 'c'.repeat(40)})).to.match(/public\.t .* do not match/)
  })

  it('a local write commits under another key (a content-addressed name known at the end)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-as-'))
    const target = new LocalTarget('t', root)
    const body = Buffer.from('rows of a table')
    const write = await target.openWrite('acme/acme-1/table-0.copy.zst', 'sha1')
    write.stream.end(body)
    const key = `odoops_blobs/${sha('sha1', body).slice(0, 2)}/${sha('sha1', body)}`
    await write.commit({size: body.length, sha1: sha('sha1', body)}, key)
    expect(readFileSync(join(root, key))).to.deep.equal(body)
    expect(existsSync(join(root, 'acme/acme-1/table-0.copy.zst.partial'))).to.equal(false)
    expect(existsSync(join(root, 'acme/acme-1/table-0.copy.zst'))).to.equal(false)
  })
})
