# Part of odoops_branding. License LGPL-3 (see __manifest__.py).
PREFIX = 'odoops_branding.'
KEYS = ('name', 'url', 'support_url', 'documentation_url', 'primary_color', 'favicon')


def read_brand(env):
    """The brand as a dict (only the keys set). Read with a plain search, not get_param's
    ormcache, so a parameter written by another process (odoo shell, odoops tenant brand) is
    seen at the next render without a cache invalidation signal or a restart."""
    params = env['ir.config_parameter'].sudo().search_read(
        [('key', 'in', [PREFIX + key for key in KEYS])], ['key', 'value'])
    brand = {}
    for param in params:
        value = (param['value'] or '').strip()
        if value:
            brand[param['key'][len(PREFIX):]] = value
    # A favicon is only taken as a data: URI of an image (written by odoops from a file).
    if not brand.get('favicon', '').startswith('data:image/'):
        brand.pop('favicon', None)
    return brand
