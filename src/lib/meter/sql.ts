/**
 * The SQL every core metric runs, as pure builders (text + bind values: every value is a
 * `$n` parameter, never spliced). Which rows each query counts, and why, is written next to
 * it with the Odoo source it follows; tests check each against an independent count.
 *
 * Odoo stores datetimes as `timestamp without time zone` in UTC (odoo/fields.py Datetime),
 * so day bounds are UTC `YYYY-MM-DD 00:00:00` literals.
 */
export interface SqlQuery {
  text: string
  values: unknown[]
}

/** Tables present in the tenant's database among `tables` (public schema, where Odoo creates its tables). */
export function tablesPresentQuery(tables: readonly string[]): SqlQuery {
  return {
    text: "SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(format('public.%I', t)) IS NOT NULL",
    values: [[...tables]],
  }
}

/**
 * users.active — publisher warranty `nbr_users`: `search_count([('active', '=', True)])`
 * (addons/mail/models/update.py `_get_message`). Portal users included; archived users
 * and the inactive technical users (__system__, default, public, portaltemplate) excluded
 * by `active`, not by id.
 */
export function activeUsersQuery(): SqlQuery {
  return {text: 'SELECT count(*) AS n FROM res_users WHERE active = $1', values: [true]}
}

/**
 * users.internal — the billable users: active and not share. `share` is stored and false
 * for members of base.group_user (odoo/addons/base/models/res_users.py `_compute_share`).
 * The ORM turns `('share', '=', False)` on a boolean into `share IS NULL OR share = false`
 * (odoo/osv/expression.py), hence IS NOT TRUE.
 */
export function internalUsersQuery(): SqlQuery {
  return {text: 'SELECT count(*) AS n FROM res_users WHERE active = $1 AND share IS NOT TRUE', values: [true]}
}

/** users.share — publisher warranty `nbr_share_users`: `[('share', '=', True), ('active', '=', True)]` (update.py). */
export function shareUsersQuery(): SqlQuery {
  return {text: 'SELECT count(*) AS n FROM res_users WHERE active = $1 AND share = $2', values: [true, true]}
}

/**
 * users.active_15d — publisher warranty `nbr_active_users`: active users with
 * `login_date >= now - 15 days` (update.py, `limit_date = datetime.now() - timedelta(15)`).
 * `login_date` is not a column: it is related to `log_ids.create_date` (res_users.py), and
 * each successful login adds a `res_users_log` row whose `create_uid` is the user
 * (`_update_last_login`), so the domain becomes `id IN (SELECT create_uid FROM res_users_log
 * WHERE create_date >= limit)`. The cleanup cron keeps the newest row per user, which keeps
 * this count exact.
 */
export function activeUsersSinceQuery(since: string): SqlQuery {
  return {
    text: 'SELECT count(*) AS n FROM res_users WHERE active = $1 AND id IN (SELECT create_uid FROM res_users_log WHERE create_date >= $2::timestamp)',
    values: [true, since],
  }
}

/**
 * apps.installed — publisher warranty `apps`: `[('application', '=', True), ('state', 'in',
 * ['installed', 'to upgrade', 'to remove'])]` (update.py). A module marked to upgrade or
 * to remove is still installed until the next update runs.
 */
export const INSTALLED_STATES: readonly string[] = ['installed', 'to upgrade', 'to remove']
export function installedAppsQuery(): SqlQuery {
  return {text: 'SELECT count(*) AS n FROM ir_module_module WHERE application = $1 AND state = ANY($2::text[])', values: [true, [...INSTALLED_STATES]]}
}

/** storage.database_bytes — `pg_database_size` of the tenant's own database (on-disk size, indexes and TOAST included). */
export function databaseSizeQuery(): SqlQuery {
  return {text: 'SELECT pg_database_size(current_database()) AS n', values: []}
}

/**
 * invoices.posted — customer invoices and credit notes posted, dated on the day:
 * `move_type in (out_invoice, out_refund)`, `state = 'posted'`, `invoice_date = day`.
 * Posting sets `invoice_date` to today when empty for sale documents
 * (addons/account/models/account_move.py `_post`: `if not invoice.invoice_date: if
 * invoice.is_sale_document(include_receipts=True): invoice.invoice_date =
 * fields.Date.context_today(self)`), so every posted customer invoice has one; it is the
 * date printed on the invoice. Drafts and cancelled moves, vendor bills, receipts and
 * journal entries are not counted. An invoice posted, reset to draft and posted again
 * counts once (one row, its current state).
 */
export const CUSTOMER_MOVE_TYPES: readonly string[] = ['out_invoice', 'out_refund']
export function postedInvoicesQuery(date: string): SqlQuery {
  return {
    text: 'SELECT count(*) AS n FROM account_move WHERE state = $1 AND move_type = ANY($2::text[]) AND invoice_date = $3::date',
    values: ['posted', [...CUSTOMER_MOVE_TYPES], date],
  }
}

/**
 * sales.confirmed — sales orders confirmed on the day: `state in (sale, done)` and
 * `date_order` within the day. Confirming writes `date_order = now`
 * (addons/sale/models/sale_order.py `_prepare_confirmation_values` → `{'state': 'sale',
 * 'date_order': fields.Datetime.now()}`), so for a confirmed order `date_order` is its
 * confirmation time. `done` is the locked state of 16 and earlier (17 has a `locked`
 * boolean instead): counted so older series measure the same thing.
 */
export const CONFIRMED_ORDER_STATES: readonly string[] = ['sale', 'done']
export function confirmedOrdersQuery(start: string, end: string): SqlQuery {
  return {
    text: 'SELECT count(*) AS n FROM sale_order WHERE state = ANY($1::text[]) AND date_order >= $2::timestamp AND date_order < $3::timestamp',
    values: [[...CONFIRMED_ORDER_STATES], start, end],
  }
}

/**
 * pickings.done — transfers validated on the day: `state = 'done'` and `date_done` within
 * the day. `_action_done` writes `date_done = now` (addons/stock/models/stock_picking.py:
 * `self.write({'date_done': fields.Datetime.now(), 'priority': '0'})`). Receipts, deliveries
 * and internal transfers alike.
 */
export function donePickingsQuery(start: string, end: string): SqlQuery {
  return {
    text: 'SELECT count(*) AS n FROM stock_picking WHERE state = $1 AND date_done >= $2::timestamp AND date_done < $3::timestamp',
    values: ['done', start, end],
  }
}
