import type {PackMetric, PackMetricContext} from 'odoops'

/** count(*) is a bigint, which pg returns as text. */
async function count(ctx: PackMetricContext, table: string, text: string, values: unknown[] = []): Promise<number> {
  if (!(await ctx.tableExists(table))) return 0
  const result = await ctx.client.query<{n: string | null}>(text, values)
  return Number(result.rows[0]?.n ?? 0)
}

/** Active warehouses (stock_warehouse.active): what a per-warehouse plan charges for. */
export const warehouses: PackMetric = {
  name: 'wholesale.warehouses',
  unit: 'warehouses',
  aggregation: 'max',
  queryVersion: 1,
  description: 'active warehouses (stock_warehouse.active)',
  tables: ['stock_warehouse'],
  collect: (ctx) => count(ctx, 'stock_warehouse', 'SELECT count(*) AS n FROM stock_warehouse WHERE active'),
}

/**
 * The busiest warehouse's day: transfers done on the day (stock_picking state done, date_done
 * in the day, UTC as Odoo stores it) counted per warehouse of their operation type; the largest.
 */
export const pickingsPerWarehouse: PackMetric = {
  name: 'wholesale.pickings_per_warehouse',
  unit: 'pickings',
  aggregation: 'average',
  queryVersion: 1,
  description: 'transfers done on the day in the busiest warehouse (stock_picking by its operation type\'s warehouse)',
  tables: ['stock_picking', 'stock_picking_type'],
  collect: (ctx) =>
    count(
      ctx,
      'stock_picking',
      `SELECT COALESCE(max(c), 0) AS n FROM (
         SELECT count(*) AS c FROM stock_picking p JOIN stock_picking_type t ON t.id = p.picking_type_id
         WHERE p.state = 'done' AND p.date_done >= $1 AND p.date_done < $2 GROUP BY t.warehouse_id) per_warehouse`,
      [ctx.day.start, ctx.day.end],
    ),
}

/** Active pricelists (product_pricelist.active): customer-specific pricing is what a wholesaler runs on. */
export const activePricelists: PackMetric = {
  name: 'wholesale.active_pricelists',
  unit: 'pricelists',
  aggregation: 'max',
  queryVersion: 1,
  description: 'active pricelists (product_pricelist.active)',
  tables: ['product_pricelist'],
  collect: (ctx) => count(ctx, 'product_pricelist', 'SELECT count(*) AS n FROM product_pricelist WHERE active'),
}

export const metrics: PackMetric[] = [warehouses, pickingsPerWarehouse, activePricelists]
