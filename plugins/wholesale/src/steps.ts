import type {PackStep} from 'odoops'
import {parseWarehouses} from './warehouses.js'

interface OdooWarehouse {
  id: number
  code: string
  name: string
  active: boolean
}

/**
 * Creates the warehouses the customer named (answer `warehouses`). Searched by short name
 * first, archived ones included, so a resumed onboarding never creates one twice; an
 * archived one is reactivated, a renamed one gets the answered name.
 */
export const warehousesStep: PackStep = {
  name: 'warehouses',
  title: 'warehouses from the answers',
  after: 'company',
  async run({odoo, answers}) {
    const {warehouses, problems} = parseWarehouses(String(answers.warehouses ?? ''))
    if (problems.length) throw new Error(`the warehouses answer is not usable: ${problems.join('; ')}`)
    if (warehouses.length === 0) return {change: 'unchanged', detail: 'no warehouses asked for'}
    const found = await odoo.call<OdooWarehouse[]>('stock.warehouse', 'search_read', [[['code', 'in', warehouses.map((w) => w.code)]]], {
      fields: ['code', 'name', 'active'],
      context: {active_test: false},
    })
    const changes: string[] = []
    for (const wanted of warehouses) {
      const existing = found.find((w) => w.code === wanted.code)
      if (!existing) {
        await odoo.call('stock.warehouse', 'create', [{name: wanted.name, code: wanted.code}])
        changes.push(`created ${wanted.code}`)
        continue
      }
      const values: Record<string, unknown> = {}
      if (!existing.active) values.active = true
      if (existing.name !== wanted.name) values.name = wanted.name
      if (Object.keys(values).length) {
        await odoo.call('stock.warehouse', 'write', [[existing.id], values])
        changes.push(`updated ${wanted.code}`)
      }
    }
    return changes.length ? {change: 'changed', detail: changes.join(', ')} : {change: 'unchanged', detail: `${warehouses.length} warehouses already there`}
  },
}

export const steps: PackStep[] = [warehousesStep]
