import type {PackCheck, PackOdoo} from 'odoops'

/**
 * Fleet checks of wholesale tenants (those onboarded with wholesale/wholesale: a check applies
 * to its pack's own templates by default). `odoops fleet status` and the schedule's status jobs
 * run them as wholesale/<name>, read-only, as the tenant's admin.
 */

/** The modules templates/wholesale.yaml installs (its `modules`): what a wholesale tenant runs on. */
export const WHOLESALE_MODULES = ['sale_management', 'purchase', 'stock', 'account', 'portal'] as const

/** The wholesale template's modules are installed: an uninstalled one means lost menus, flows or data. */
export const modulesCheck: PackCheck = {
  name: 'modules',
  description: `the modules of the wholesale template are installed (${WHOLESALE_MODULES.join(', ')})`,
  async check({odoo}) {
    const found = await odoo.call<{name: string; state: string}[]>('ir.module.module', 'search_read', [[['name', 'in', [...WHOLESALE_MODULES]]]], {fields: ['name', 'state']})
    const state = new Map(found.map((m) => [m.name, m.state]))
    // `to upgrade` is installed, with an update pending.
    const missing = WHOLESALE_MODULES.filter((m) => state.get(m) !== 'installed' && state.get(m) !== 'to upgrade')
    if (missing.length === 0) return {ok: true, detail: `${WHOLESALE_MODULES.length} modules installed`}
    return {ok: false, detail: `not installed: ${missing.map((m) => `${m} (${state.get(m) ?? 'not in the addons path'})`).join(', ')}`}
  },
}

async function groupIds(odoo: PackOdoo, xmlIds: string[]): Promise<Map<string, number>> {
  const pairs = xmlIds.map((x) => x.split('.') as [string, string])
  const found = await odoo.call<{module: string; name: string; res_id: number}[]>(
    'ir.model.data',
    'search_read',
    [[['model', '=', 'res.groups'], ['module', 'in', [...new Set(pairs.map((p) => p[0]))]], ['name', 'in', pairs.map((p) => p[1])]]],
    {fields: ['module', 'name', 'res_id']},
  )
  return new Map(found.map((d) => [`${d.module}.${d.name}`, d.res_id]))
}

/**
 * Customer pricelists are turned on (Sales settings "Pricelists": every internal user gets
 * product.group_product_pricelist through base.group_user). Off, salespeople cannot pick a
 * customer's pricelist and `odoops wholesale pricelist import` loads prices nobody sees.
 */
export const pricelistsCheck: PackCheck = {
  name: 'pricelists',
  description: 'customer pricelists are enabled (Sales settings: Pricelists), so imported B2B prices apply',
  async check({odoo}) {
    const ids = await groupIds(odoo, ['base.group_user', 'product.group_product_pricelist'])
    const user = ids.get('base.group_user')
    const pricelist = ids.get('product.group_product_pricelist')
    if (pricelist === undefined) return {ok: false, detail: 'the product module is not installed (no group product.group_product_pricelist)'}
    if (user === undefined) return {ok: false, detail: 'group base.group_user not found'}
    const [internal] = await odoo.call<{implied_ids: number[]}[]>('res.groups', 'read', [[user], ['implied_ids']])
    if (!internal?.implied_ids.includes(pricelist)) return {ok: false, detail: 'pricelists are turned off (Sales > Configuration > Settings > Pricelists): customer prices are not applied'}
    const active = await odoo.call<number>('product.pricelist', 'search_count', [[['active', '=', true]]])
    return {ok: true, detail: `pricelists on, ${active} active`}
  },
}

/**
 * The portal stays B2B: sign-up on invitation only (auth_signup.invitation_scope, which the
 * template sets to b2b; unset means b2b too). Free sign-up lets anyone open an account and see
 * what the portal shows customers.
 */
export const b2bPortalCheck: PackCheck = {
  name: 'b2b-portal',
  description: 'portal sign-up is on invitation only (auth_signup.invitation_scope = b2b)',
  async check({odoo}) {
    const scope = await odoo.call<string | false>('ir.config_parameter', 'get_param', ['auth_signup.invitation_scope'])
    if (scope === false || scope === '' || scope === 'b2b') return {ok: true, detail: 'sign-up on invitation only'}
    return {ok: false, detail: `free sign-up is on (auth_signup.invitation_scope = ${String(scope)}): anyone can open a portal account; set it back to b2b (Settings > Customer Account: On invitation)`}
  },
}

export const checks: PackCheck[] = [modulesCheck, pricelistsCheck, b2bPortalCheck]
