# Part of odoops_branding. License LGPL-3 (see __manifest__.py).
from odoo import models

from .branding import read_brand


class IrQWeb(models.AbstractModel):
    _inherit = 'ir.qweb'

    def _prepare_environment(self, values):
        # Every render (pages and e-mail layouts, minimal_qcontext included) sees the brand.
        if 'odoops_brand' not in values:
            values['odoops_brand'] = read_brand(self.env)
        return super()._prepare_environment(values)
