# Part of odoops_branding. License LGPL-3 (see __manifest__.py).
from . import branding
from . import ir_qweb
from . import ir_http
from . import ir_actions_report
