import {readFile, stat} from 'node:fs/promises'
import {dirname, extname, isAbsolute, resolve} from 'node:path'
import {usageError} from '../errors.js'
import type {TemplateBranding} from '../templates/types.js'

/**
 * The partner's brand on a tenant (docs/white-label.md): what odoops_branding shows instead of
 * Odoo's. Three layers, each key taken from the most specific one that sets it: the partner-wide
 * default in config (`branding.*`), the template's `branding:`, then the flags of `tenant brand`.
 */
export type Brand = TemplateBranding

export const BRAND_KEYS = ['name', 'url', 'supportUrl', 'documentationUrl', 'primaryColor', 'logo', 'favicon'] as const
export type BrandKey = (typeof BRAND_KEYS)[number]

/** Each key from the last layer that sets it (undefined and empty strings do not override). */
export function mergeBrand(...layers: (Partial<Brand> | undefined)[]): Brand {
  const out: Brand = {}
  for (const layer of layers) {
    if (!layer) continue
    for (const key of BRAND_KEYS) {
      const value = layer[key]
      if (typeof value === 'string' && value.trim() !== '') out[key] = value.trim()
    }
  }
  return out
}

/** `branding.*` settings as a brand layer. */
export function brandFromSettings(get: (key: string) => string | undefined): Brand {
  return mergeBrand(Object.fromEntries(BRAND_KEYS.map((key) => [key, get(`branding.${key}`)])))
}

/** A template's `branding:` with its files resolved from the template's folder. */
export function brandFromTemplate(branding: Partial<Brand> | undefined, templateFile: string): Brand {
  const brand = mergeBrand(branding)
  for (const key of ['logo', 'favicon'] as const) {
    const file = brand[key]
    if (file && !isAbsolute(file)) brand[key] = resolve(dirname(templateFile), file)
  }
  return brand
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}

const URL_KEYS = ['url', 'supportUrl', 'documentationUrl'] as const
const COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/

/** What is wrong with a brand's values (files are checked when read). */
export function brandProblems(brand: Brand): string[] {
  const problems: string[] = []
  if (brand.name !== undefined && brand.name.length > 64) problems.push('name: at most 64 characters')
  for (const key of URL_KEYS) {
    const value = brand[key]
    if (value === undefined) continue
    if (!isHttpUrl(value)) problems.push(`${key}: "${value}" is not an http(s) URL`)
  }
  if (brand.primaryColor !== undefined && !COLOR.test(brand.primaryColor)) problems.push(`primaryColor: "${brand.primaryColor}" is not a colour such as #1a73e8`)
  return problems
}

const IMAGE_TYPES: Record<string, string> = {'.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.webp': 'image/webp'}
/** Larger files would bloat every page (favicon, as a data: URI) or the company record (logo). */
export const MAX_IMAGE_BYTES = {logo: 1024 * 1024, favicon: 100 * 1024}

export interface BrandFile {
  mimetype: string
  base64: string
}

/** An image file of the brand, read and checked (type by extension, size). */
export async function readBrandFile(kind: 'logo' | 'favicon', file: string): Promise<BrandFile> {
  const mimetype = IMAGE_TYPES[extname(file).toLowerCase()]
  if (!mimetype) throw usageError('BRANDING_FILE_INVALID', `The ${kind} ${file} is not an image file odoops knows (${Object.keys(IMAGE_TYPES).join(', ')}).`, ['Give a PNG, JPEG, SVG, GIF, WebP or ICO file.'])
  const info = await stat(file).catch(() => undefined)
  if (!info?.isFile()) throw usageError('BRANDING_FILE_NOT_FOUND', `The ${kind} file ${file} does not exist.`, ['Check the path (a template\'s files are relative to the template file).'])
  if (info.size > MAX_IMAGE_BYTES[kind]) throw usageError('BRANDING_FILE_INVALID', `The ${kind} ${file} is ${info.size} bytes; at most ${MAX_IMAGE_BYTES[kind]}.`, ['Use a smaller image.'])
  return {mimetype, base64: (await readFile(file)).toString('base64')}
}

/** The system parameters odoops_branding reads, from a brand (a key left out is removed from the database). */
export function brandParams(brand: Brand, favicon?: BrandFile): Record<string, string | null> {
  return {
    'odoops_branding.name': brand.name ?? null,
    'odoops_branding.url': brand.url ?? null,
    'odoops_branding.support_url': brand.supportUrl ?? null,
    'odoops_branding.documentation_url': brand.documentationUrl ?? null,
    'odoops_branding.primary_color': brand.primaryColor ?? null,
    'odoops_branding.favicon': favicon ? `data:${favicon.mimetype};base64,${favicon.base64}` : null,
  }
}

/** `#rgb` as `#rrggbb` (Odoo's colour fields and report styles expect six digits), lower case. */
export function fullColor(color: string): string {
  const c = color.toLowerCase()
  return c.length === 4 ? `#${c[1]}${c[1]}${c[2]}${c[2]}${c[3]}${c[3]}` : c
}

/**
 * The odoo shell script that writes the parameters (a null removes one) and, when given, the
 * main company's logo and primary colour (res.company `primary_color`, which Odoo's report
 * layouts use), sets Odoo's standard document layout when the company has none, then commits. Values travel base64-encoded inside JSON on stdin.
 */
export function brandScript(params: Record<string, string | null>, logo?: BrandFile, primaryColor?: string): string {
  const payload = Buffer.from(JSON.stringify({params, logo: logo?.base64 ?? null, color: primaryColor ? fullColor(primaryColor) : null}), 'utf8').toString('base64')
  return [
    'import base64, json',
    `p = json.loads(base64.b64decode('${payload}').decode('utf-8'))`,
    "ICP = env['ir.config_parameter'].sudo()",
    "for key, value in p['params'].items():",
    '    ICP.set_param(key, value if value else False)',
    "company = env.ref('base.main_company')",
    "if p['logo']:",
    "    company.write({'logo': p['logo']})",
    // Reports (web.external_layout): the company's primary colour, and a document layout when
    // none is chosen yet (Odoo's default one; it also keeps the "configure your document
    // layout" wizard from interrupting the first print).
    "if p['color']:",
    "    company.write({'primary_color': p['color']})",
    "if not company.external_report_layout_id:",
    "    layout = env.ref('web.external_layout_standard', raise_if_not_found=False)",
    "    if layout:",
    "        company.write({'external_report_layout_id': layout.id})",
    "installed = env['ir.module.module'].search_count([('name', '=', 'odoops_branding'), ('state', '=', 'installed')])",
    'env.cr.commit()',
    "print('ODOOPS_BRAND ' + json.dumps({'installed': bool(installed)}))",
    '',
  ].join('\n')
}
