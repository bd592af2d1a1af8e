from odoo import fields, models


class ProductPricelistItem(models.Model):
    _inherit = 'product.pricelist.item'

    # Written by `odoops wholesale pricelist import`: "<file name>:<line>" of the row that last set this price.
    odoops_wholesale_source = fields.Char(
        string='Imported from',
        readonly=True,
        copy=False,
        help='The price file (and its line) that last set this price, written by odoops wholesale pricelist import.',
    )
