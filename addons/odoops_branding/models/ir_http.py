# Part of odoops_branding. License LGPL-3 (see __manifest__.py).
from odoo import models

from .branding import read_brand


class IrHttp(models.AbstractModel):
    _inherit = 'ir.http'

    def session_info(self):
        # The web client reads the brand from its session info (served with each /web page),
        # not from the compiled assets, so a change needs no asset rebuild.
        info = super().session_info()
        brand = read_brand(self.env)
        brand.pop('favicon', None)
        info['odoops_branding'] = brand
        # 19.0's Help entry and upgrade links read support_url (https://www.odoo.com/buy).
        if brand.get('name') and (brand.get('support_url') or brand.get('url')):
            info['support_url'] = brand.get('support_url') or brand['url']
        return info
