import type {PackMetric} from 'odoops'

/**
 * Orders placed through the webshop and confirmed, per day: sale_order rows with a
 * website_id (set by website_sale when the cart is created on the website) in state sale
 * (done too, 16.0 and earlier) whose date_order falls in the day (UTC, as Odoo stores it).
 */
export const websiteOrders: PackMetric = {
  name: 'ecommerce.website_orders',
  unit: 'orders',
  aggregation: 'average',
  queryVersion: 1,
  description: "confirmed webshop orders (sale_order with website_id, state sale/done) with date_order on the day (UTC)",
  tables: ['sale_order'],
  async collect(ctx) {
    if (!(await ctx.tableExists('sale_order'))) return 0
    // website_id exists only once website_sale is installed.
    const column = await ctx.client.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'sale_order' AND column_name = 'website_id'`)
    if (column.rows.length === 0) return 0
    const result = await ctx.client.query<{n: string}>(
      `SELECT count(*) AS n FROM sale_order WHERE website_id IS NOT NULL AND state IN ('sale', 'done') AND date_order >= $1 AND date_order < $2`,
      [ctx.day.start, ctx.day.end],
    )
    return Number(result.rows[0]?.n ?? 0)
  },
}

export const metrics: PackMetric[] = [websiteOrders]
