# Shipped by the @odoops/wholesale pack (odoops addons repository "wholesale").
{
    'name': 'odoops Wholesale',
    'version': '1.0',
    'summary': 'Records which price file set each customer price (odoops wholesale pricelist import)',
    'category': 'Sales/Sales',
    'author': 'odoops',
    'license': 'LGPL-3',
    'depends': ['product'],
    'data': [],
    'installable': True,
    'application': False,
}
