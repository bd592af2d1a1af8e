from . import product_pricelist_item
