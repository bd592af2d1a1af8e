/** One warehouse asked for at onboarding: its short name (Odoo's `code`, at most 5 characters) and name. */
export interface WantedWarehouse {
  code: string
  name: string
}

/**
 * The `warehouses` answer: entries separated by commas, semicolons or new lines, each
 * `CODE Name of the warehouse` (e.g. `BRU Brussels, ANR Antwerp port`). Odoo's short name
 * is at most 5 characters (stock.warehouse `code`, size=5) and unique per company, as is
 * the name; both are checked here so the answer is refused before anything is created.
 */
export function parseWarehouses(answer: string): {warehouses: WantedWarehouse[]; problems: string[]} {
  const warehouses: WantedWarehouse[] = []
  const problems: string[] = []
  for (const raw of answer.split(/[,;\n]/)) {
    const entry = raw.trim()
    if (!entry) continue
    const match = /^([A-Za-z0-9][A-Za-z0-9_-]{0,4})\s+(.+)$/.exec(entry)
    if (!match) {
      problems.push(`"${entry}": write the short name (1 to 5 letters or digits) then the name, e.g. "BRU Brussels"`)
      continue
    }
    const code = match[1].toUpperCase()
    const name = match[2].trim()
    if (warehouses.some((w) => w.code === code)) problems.push(`short name ${code} is given twice`)
    else if (warehouses.some((w) => w.name.toLowerCase() === name.toLowerCase())) problems.push(`name "${name}" is given twice`)
    else warehouses.push({code, name})
  }
  return {warehouses, problems}
}
