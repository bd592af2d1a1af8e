import {expect} from 'chai'
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {OdoopsError} from '../../src/lib/errors.js'
import {
  activeUsersSinceQuery,
  bar,
  confirmedOrdersQuery,
  coreRegistry,
  datesBetween,
  donePickingsQuery,
  filestoreSizesCommand,
  filestoreSizesInput,
  installedAppsQuery,
  internalUsersQuery,
  meterDay,
  MetricRegistry,
  parseFilestoreSizes,
  postedInvoicesQuery,
  showRange,
  sparkline,
  tablesPresentQuery,
  utcTimestamp,
  type DatabaseMetric,
} from '../../src/lib/meter/index.js'

const metric = (over: Partial<DatabaseMetric> = {}): DatabaseMetric => ({
  name: 'wholesale.pricelists',
  unit: 'pricelists',
  aggregation: 'max',
  queryVersion: 1,
  description: 'pricelists in use',
  scope: 'database',
  collect: async () => 3,
  ...over,
})

function refused(fn: () => unknown, code: string): OdoopsError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(OdoopsError)
    expect((error as OdoopsError).code).to.equal(code)
    return error as OdoopsError
  }
  throw new Error(`expected ${code}`)
}

describe('meter: metric registry', () => {
  it('holds the core metrics, with units, aggregations and query versions', () => {
    const info = coreRegistry().info()
    expect(info.map((m) => m.name)).to.deep.equal([
      'users.active',
      'users.internal',
      'users.share',
      'users.active_15d',
      'apps.installed',
      'storage.database_bytes',
      'storage.filestore_bytes',
      'invoices.posted',
      'sales.confirmed',
      'pickings.done',
    ])
    for (const m of info) {
      expect(m.owner).to.equal('core')
      expect(['max', 'latest', 'average']).to.include(m.aggregation)
      expect(m.queryVersion).to.be.at.least(1)
    }
    expect(info.find((m) => m.name === 'storage.filestore_bytes')).to.include({scope: 'host', unit: 'bytes'})
  })

  it("lets a plugin pack register metrics in its own namespace, and only there", () => {
    const registry = coreRegistry()
    registry.register(metric(), {owner: 'wholesale'})
    expect(registry.get('wholesale.pricelists')).to.not.equal(undefined)
    expect(registry.info().at(-1)).to.include({name: 'wholesale.pricelists', owner: 'wholesale'})
    expect(refused(() => registry.register(metric({name: 'users.vip'}), {owner: 'wholesale'}), 'METRIC_INVALID').message).to.include('core metrics')
    expect(refused(() => registry.register(metric({name: 'retail.stores'}), {owner: 'wholesale'}), 'METRIC_INVALID').message).to.include('own namespace')
    refused(() => registry.register(metric(), {owner: 'wholesale'}), 'METRIC_DUPLICATE')
    // A pack named with dashes gets the underscore namespace.
    new MetricRegistry().register(metric({name: 'b2b_portal.quotes'}), {owner: 'b2b-portal'})
  })

  it('refuses malformed metrics with a reason', () => {
    const registry = new MetricRegistry()
    for (const [over, reason] of [
      [{name: 'Pricelists'}, 'namespace'],
      [{name: 'wholesale'}, 'namespace'],
      [{unit: ''}, 'unit'],
      [{aggregation: 'sum' as never}, 'aggregation'],
      [{queryVersion: 0}, 'queryVersion'],
      [{queryVersion: 1.5}, 'queryVersion'],
      [{description: ' '}, 'description'],
      [{collect: undefined as never}, 'collect'],
    ] as const) {
      expect(refused(() => registry.register(metric(over), {owner: 'wholesale'}), 'METRIC_INVALID').message).to.include(reason)
    }
    expect(registry.list()).to.have.length(0)
  })

  it('selects metrics by name; an unknown name lists the known ones', () => {
    const registry = coreRegistry()
    expect(registry.select(['users.internal', 'pickings.done', 'users.internal']).map((m) => m.name)).to.deep.equal(['users.internal', 'pickings.done'])
    expect(registry.select()).to.have.length(10)
    const error = refused(() => registry.select(['users.nope']), 'METRIC_UNKNOWN')
    expect(error.suggestions[0]).to.include('users.internal')
  })
})

describe('meter: SQL builders', () => {
  const allQueries = () => [
    tablesPresentQuery(['res_users', 'sale_order']),
    internalUsersQuery(),
    activeUsersSinceQuery('2026-03-01 10:00:00'),
    installedAppsQuery(),
    postedInvoicesQuery('2026-03-15'),
    confirmedOrdersQuery('2026-03-15 00:00:00', '2026-03-16 00:00:00'),
    donePickingsQuery('2026-03-15 00:00:00', '2026-03-16 00:00:00'),
  ]

  it('bind every value: the SQL text carries no literal value, one $n per value', () => {
    for (const q of allQueries()) {
      expect(q.text).not.to.match(/'\d{4}-\d\d-\d\d|'posted'|'done'|'sale'|'installed'|'out_invoice'/)
      const placeholders = new Set([...q.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))
      expect([...placeholders].sort()).to.deep.equal(q.values.map((_, i) => i + 1))
    }
  })

  it('encode the Odoo domains: states, move types, day bounds', () => {
    expect(postedInvoicesQuery('2026-03-15').values).to.deep.equal(['posted', ['out_invoice', 'out_refund'], '2026-03-15'])
    expect(installedAppsQuery().values).to.deep.equal([true, ['installed', 'to upgrade', 'to remove']])
    expect(confirmedOrdersQuery('a', 'b').values).to.deep.equal([['sale', 'done'], 'a', 'b'])
    expect(donePickingsQuery('a', 'b').text).to.match(/date_done >= \$2::timestamp AND date_done < \$3::timestamp/)
    expect(internalUsersQuery().text).to.include('share IS NOT TRUE')
  })

  it('bound a day in UTC and end rolling windows at the end of a past day', () => {
    const now = new Date('2026-03-20T15:04:05.678Z')
    expect(meterDay(undefined, now)).to.deep.equal({date: '2026-03-20', start: '2026-03-20 00:00:00', end: '2026-03-21 00:00:00', asOf: now})
    const past = meterDay('2026-02-28', now)
    expect(past).to.include({start: '2026-02-28 00:00:00', end: '2026-03-01 00:00:00'})
    expect(past.asOf.toISOString()).to.equal('2026-03-01T00:00:00.000Z')
    expect(utcTimestamp(now)).to.equal('2026-03-20 15:04:05')
    refused(() => meterDay('2026-03-21', now), 'METER_DATE_FUTURE')
    refused(() => meterDay('2026-02-30', now), 'METER_DATE_INVALID')
    refused(() => meterDay('20260301', now), 'METER_DATE_INVALID')
  })
})

describe('meter: filestore sizes command', () => {
  it('measures each directory given on stdin, in order: file bytes, 0 when absent', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-fs-'))
    const a = join(root, "it's a db")
    mkdirSync(join(a, 'ab'), {recursive: true})
    writeFileSync(join(a, 'ab', 'x'), Buffer.alloc(1000))
    writeFileSync(join(a, 'ab', 'y'), Buffer.alloc(24))
    const empty = join(root, 'empty')
    mkdirSync(empty)
    const paths = [a, join(root, 'missing'), empty]
    const cmd = filestoreSizesCommand()
    const run = await execa('sh', ['-c', cmd.text], {input: filestoreSizesInput(paths)})
    expect(parseFilestoreSizes(run.stdout, paths)).to.deep.equal([1024, 0, 0])
    expect(cmd.text).not.to.include(root)
  })

  it('reads E as unmeasured and refuses a short answer', () => {
    expect(parseFilestoreSizes('12\nE\n', ['/a', '/b'])).to.deep.equal([12, undefined])
    refused(() => parseFilestoreSizes('12\n', ['/a', '/b']), 'FILESTORE_MEASURE_FAILED')
    refused(() => filestoreSizesInput(['/a\nb']), 'FILESTORE_PATH_INVALID')
  })
})

describe('meter show: range and charts', () => {
  it('defaults to the 30 days up to today and refuses a reversed range', () => {
    expect(showRange(undefined, undefined, new Date('2026-03-31T12:00:00Z'))).to.deep.equal({from: '2026-03-02', to: '2026-03-31'})
    expect(showRange('2026-03-01', '2026-03-03')).to.deep.equal({from: '2026-03-01', to: '2026-03-03'})
    refused(() => showRange('2026-03-04', '2026-03-03'), 'METER_RANGE_INVALID')
    expect(datesBetween('2026-02-27', '2026-03-02')).to.deep.equal(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02'])
  })

  it('draws a sparkline scaled to the series, with gaps, and bars', () => {
    expect(sparkline([0, 7, undefined, 14])).to.equal('▁▅·█')
    expect(sparkline([5, 5])).to.equal('▄▄')
    expect(sparkline([])).to.equal('')
    expect(bar(10, 10, 4)).to.equal('████')
    expect(bar(5, 10, 4)).to.equal('██')
    expect(bar(1, 16, 4)).to.equal('▎')
    expect(bar(0, 10, 4)).to.equal('')
  })
})
