/**
 * Where Odoo's own brand still shows in what a tenant serves (`odoops branding check`,
 * docs/white-label.md): pure functions over HTML, so they are tested without a host.
 */
export interface BrandPlace {
  /** `login:title`, `login:favicon`, `login:powered-by`, `login:database-manager`, `mail:powered-by`, … */
  where: string
  /** The offending markup, shortened. */
  text: string
}

function excerpt(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** "Powered by" then Odoo (as text, in a span, or a link to odoo.com), Odoo's own footers. */
const POWERED_BY_ODOO = /Powered by\s*(?:<[^>]*>\s*)*Odoo\b(?:<\/(?:span|a|b|strong)>){0,2}/gi
const ODOO_COM_LINK = /<a\b[^>]*href="https?:\/\/(?:www\.)?odoo\.com[^"]*"[^>]*>/gi

function findAll(pattern: RegExp, html: string): string[] {
  return [...html.matchAll(pattern)].map((m) => m[0])
}

/** A page built on web.layout (`/web/login`): title, favicon, footer, database manager link. */
export function scanPage(page: string, html: string): BrandPlace[] {
  const places: BrandPlace[] = []
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)
  if (!title) places.push({where: `${page}:title`, text: 'no <title>'})
  else if (/\bOdoo\b/.test(title[1])) places.push({where: `${page}:title`, text: excerpt(title[0])})
  for (const link of findAll(/<link\b[^>]*rel="(?:shortcut )?icon"[^>]*>/gi, html)) {
    if (link.includes('/web/static/img/favicon.ico')) places.push({where: `${page}:favicon`, text: excerpt(link)})
  }
  places.push(...poweredBy(page, html))
  for (const text of findAll(/<a\b[^>]*href="\/web\/database\/manager"[^>]*>[\s\S]*?<\/a>/gi, html)) places.push({where: `${page}:database-manager`, text: excerpt(text)})
  return places
}

/** An e-mail body rendered by Odoo's mail layouts (mail.mail body_html). */
export function scanMail(html: string): BrandPlace[] {
  return poweredBy('mail', html)
}

/** "Powered by Odoo" footers; links to odoo.com are listed only where no such footer already names them. */
function poweredBy(where: string, html: string): BrandPlace[] {
  const places = findAll(POWERED_BY_ODOO, html).map((text) => ({where: `${where}:powered-by`, text: excerpt(text)}))
  if (places.length === 0) places.push(...findAll(ODOO_COM_LINK, html).map((text) => ({where: `${where}:odoo-link`, text: excerpt(text)})))
  return places
}

/** What the tenant's database says (odoo shell): the module, for the web client's title and user menu. */
export function scanDatabase(state: {installed: boolean; name?: string | null}): BrandPlace[] {
  if (!state.installed) return [{where: 'webclient', text: 'odoops_branding is not installed: the web client keeps Odoo\'s title and its Odoo.com user menu entries'}]
  if (!state.name) return [{where: 'webclient', text: 'odoops_branding is installed but odoops_branding.name is not set'}]
  return []
}

/**
 * The web client's session info (what /web/session/authenticate answers, and what /web embeds):
 * the brand the client starts with (title, user menu) and the Help/Support link (19.0).
 */
export function scanSessionInfo(info: Record<string, unknown>): BrandPlace[] {
  const places: BrandPlace[] = []
  const brand = info.odoops_branding as {name?: unknown} | undefined
  if (!brand || typeof brand.name !== 'string' || brand.name === '') places.push({where: 'webclient:session-info', text: 'no odoops_branding brand in the session info: the web client starts with Odoo\'s title and user menu'})
  if (typeof info.support_url === 'string' && /(^|\.|\/)odoo\.com\b/.test(info.support_url)) places.push({where: 'webclient:support-url', text: info.support_url})
  return places
}
