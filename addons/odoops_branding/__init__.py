# Part of odoops_branding. License LGPL-3 (see __manifest__.py).
from . import models
