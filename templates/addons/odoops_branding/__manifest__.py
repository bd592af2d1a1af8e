# Shipped by odoops itself (odoops addons repository "odoops"); docs/white-label.md.
# One source tree for Odoo 17.0, 18.0 and 19.0: the templates it inherits (web.layout,
# web.login_layout, web.brand_promotion_message, mail.mail_notification_layout,
# mail.mail_notification_light) and the JS it patches have the same shape in the three series.
{
    'name': 'odoops Branding',
    'version': '1.2',
    'summary': "The partner's brand instead of Odoo's: browser title, favicon, login page, user menu, e-mail footers, Settings' About",
    'description': """
Reads the brand from system parameters (odoops_branding.name, .url, .support_url,
.documentation_url, .primary_color, .favicon) at render time, so a change takes effect at
the next page or e-mail without restarting the service. Written by odoops (LGPL-3); Odoo
itself is LGPL-3 and its notices are kept.
""",
    'category': 'Hidden/Tools',
    'author': 'odoops',
    'license': 'LGPL-3',
    'depends': ['web', 'mail'],
    'data': [
        'views/templates.xml',
    ],
    'assets': {
        'web.assets_backend': [
            'odoops_branding/static/src/js/branding.js',
        ],
    },
    'installable': True,
    'application': False,
}
